"""Reads one fingerprint image from an R30x / ZFM module with pyfingerprint, a host library
Enrol did not write, and saves it as a BMP.

Usage: r30x_pyfingerprint.py PORT OUT.bmp
Exit status 0 when the image was saved; any library error propagates (non-zero exit).
"""

import sys

from pyfingerprint.pyfingerprint import PyFingerprint

MAX_READ_ATTEMPTS = 50


def main():
    port, destination = sys.argv[1], sys.argv[2]
    sensor = PyFingerprint(port, 57600, 0xFFFFFFFF, 0x00000000)
    if not sensor.verifyPassword():
        sys.exit("the sensor refused the default password")
    for _ in range(MAX_READ_ATTEMPTS):
        if sensor.readImage():
            break
    else:
        sys.exit("no finger was read in %d attempts" % MAX_READ_ATTEMPTS)
    sensor.downloadImage(destination)
    print("saved", destination)


if __name__ == "__main__":
    main()
