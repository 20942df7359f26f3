#!/usr/bin/env python3
"""Independent check of a MOSIP registration packet, written from MOSIP's documented layout with
the `cryptography` package only (none of Enrol's code).

It decrypts the outer file with the pipeline's private key, then for each sub-packet checks the
`encryptedhash`, decrypts it, verifies its SHA256withRSA signature with the machine's public key,
recomputes `packet_data_hash.txt` and `packet_operations_hash.txt` from the hash sequences in
`packet_meta_info.json`, and finally compares the merged `ID.json` identity with expected values.

Blob layout: nonce(12) | aad(32) | thumbprint(32) | RSA-OAEP-SHA256/MGF1-SHA256(key) |
"#KEY_SPLITTER#" | AES-256-GCM(ciphertext | tag16).

Usage: mosip_packet_verify.py PACKET --pipeline-key KEY.pem --machine-public-key PUB.pem
       [--pipeline-cert CERT.pem] [--expected EXPECTED.json]
EXPECTED.json: {"rid": "...", "packetHash": "...", "identity": {"field": value, ...}}
Exit status 0 when every check passes, 1 with a message on the first failure.
"""

import argparse
import base64
import binascii
import hashlib
import io
import json
import os
import re
import sys
import zipfile

from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SPLITTER = b"#KEY_SPLITTER#"
NONCE_LEN = 12
AAD_LEN = 32
THUMBPRINT_LEN = 32


class Failure(Exception):
    pass


def b64_any(text):
    """URL-safe or standard base64, padded or not (MOSIP writes both)."""
    text = text.strip()
    padded = text + "=" * (-len(text) % 4)
    for decode in (base64.urlsafe_b64decode, base64.b64decode):
        try:
            return decode(padded)
        except (binascii.Error, ValueError):
            continue
    raise Failure("not base64: %r" % text[:20])


def decrypt(blob, private_key, thumbprint, what):
    split = blob.find(SPLITTER, NONCE_LEN + AAD_LEN)
    if split < 0:
        raise Failure("%s: no #KEY_SPLITTER#" % what)
    nonce = blob[:NONCE_LEN]
    aad = blob[NONCE_LEN:NONCE_LEN + AAD_LEN]
    key_part = blob[NONCE_LEN + AAD_LEN:split]
    data = blob[split + len(SPLITTER):]
    if len(key_part) != THUMBPRINT_LEN + private_key.key_size // 8:
        raise Failure("%s: key part of %d bytes" % (what, len(key_part)))
    blob_thumbprint, wrapped = key_part[:THUMBPRINT_LEN], key_part[THUMBPRINT_LEN:]
    if thumbprint is not None and blob_thumbprint != thumbprint:
        raise Failure("%s: encrypted to another certificate" % what)
    oaep = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    try:
        session_key = private_key.decrypt(wrapped, oaep)
    except ValueError:
        raise Failure("%s: cannot unwrap the session key" % what)
    try:
        return AESGCM(session_key).decrypt(nonce, data, aad)
    except InvalidTag:
        raise Failure("%s: AES-GCM tag does not verify" % what)


def entry_by_stem(archive, stem):
    for name in archive.namelist():
        base = os.path.splitext(name.rsplit("/", 1)[-1])[0]
        if base.lower() == stem.lower():
            return archive.read(name)
    raise Failure("hash sequence names %s, which is not in the sub-packet" % stem)


def sequence_hash(archive, sequence):
    digest = hashlib.sha256()
    for group in sequence or []:
        for name in group.get("value") or []:
            digest.update(entry_by_stem(archive, name))
    return digest.hexdigest().upper()


def verify(args):
    packet = open(args.packet, "rb").read()
    with open(args.pipeline_key, "rb") as f:
        pipeline_key = serialization.load_pem_private_key(f.read(), password=None)
    with open(args.machine_public_key, "rb") as f:
        machine_key = serialization.load_pem_public_key(f.read())
    thumbprint = None
    if args.pipeline_cert:
        with open(args.pipeline_cert, "rb") as f:
            cert = x509.load_pem_x509_certificate(f.read())
        thumbprint = hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).digest()
    expected = {}
    if args.expected:
        with open(args.expected) as f:
            expected = json.load(f)

    packet_id = os.path.splitext(os.path.basename(args.packet))[0]
    match = re.fullmatch(r"(\d{29})-(\d{5})_(\d{5})-(\d{14})", packet_id)
    if not match:
        raise Failure("file name %s is not <RID>-<centre>_<machine>-<timestamp>.zip" % packet_id)
    rid = match.group(1)
    if rid[:10] != match.group(2) + match.group(3):
        raise Failure("the RID does not start with the centre and machine ids")
    if "rid" in expected and expected["rid"] != rid:
        raise Failure("RID %s, expected %s" % (rid, expected["rid"]))
    packet_hash = hashlib.sha256(packet).hexdigest().upper()
    if "packetHash" in expected and expected["packetHash"] != packet_hash:
        raise Failure("packet hash %s, expected %s" % (packet_hash, expected["packetHash"]))

    container = zipfile.ZipFile(io.BytesIO(decrypt(packet, pipeline_key, thumbprint, "outer file")))
    identity = {}
    checked = []
    for name in container.namelist():
        if not name.endswith(".json"):
            continue
        parts = name[:-len(".json")].split("/")
        if len(parts) != 3 or parts[0] != "REGISTRATION_CLIENT" or not parts[2].startswith(rid + "_"):
            raise Failure("unexpected container entry %s" % name)
        sub = parts[2][len(rid) + 1:]
        meta = json.loads(container.read(name))
        for key in ("id", "packetname", "source", "process", "schemaversion", "signature",
                    "encryptedhash", "providername", "providerversion", "creationdate", "refid"):
            if key not in meta:
                raise Failure("%s lacks %s" % (name, key))
        if meta["process"] != parts[1] or meta["packetname"] != parts[2]:
            raise Failure("%s does not match its path" % name)
        encrypted = container.read(name[:-len(".json")] + ".zip")
        if b64_any(meta["encryptedhash"]) != hashlib.sha256(encrypted).digest():
            raise Failure("%s: encryptedhash does not match" % sub)
        plain = decrypt(encrypted, pipeline_key, thumbprint, sub + " sub-packet")
        try:
            machine_key.verify(b64_any(meta["signature"]), plain, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            raise Failure("%s: signature does not verify with the machine key" % sub)
        archive = zipfile.ZipFile(io.BytesIO(plain))
        meta_info = json.loads(archive.read("packet_meta_info.json"))["identity"]
        data_hash = archive.read("packet_data_hash.txt").decode().strip()
        if sequence_hash(archive, meta_info.get("hashSequence1")) != data_hash.upper():
            raise Failure("%s: packet_data_hash.txt does not match" % sub)
        if "packet_operations_hash.txt" in archive.namelist():
            operations = archive.read("packet_operations_hash.txt").decode().strip()
            if sequence_hash(archive, meta_info.get("hashSequence2")) != operations.upper():
                raise Failure("%s: packet_operations_hash.txt does not match" % sub)
        elif meta_info.get("hashSequence2"):
            raise Failure("%s: packet_operations_hash.txt is missing" % sub)
        for key, value in json.loads(archive.read("ID.json"))["identity"].items():
            identity.setdefault(key, value)
        checked.append(sub)

    if "id" not in checked:
        raise Failure("no id sub-packet")
    for field, value in expected.get("identity", {}).items():
        if identity.get(field) != value:
            raise Failure("ID.json %s is %r, expected %r" % (field, identity.get(field), value))
    print("ok: packet %s, sub-packets %s decrypted, signatures and hash files verified, %d expected values found"
          % (packet_id, ", ".join(checked), len(expected.get("identity", {}))))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("packet")
    parser.add_argument("--pipeline-key", required=True)
    parser.add_argument("--machine-public-key", required=True)
    parser.add_argument("--pipeline-cert")
    parser.add_argument("--expected")
    args = parser.parse_args()
    try:
        verify(args)
    except (Failure, KeyError, zipfile.BadZipFile, json.JSONDecodeError) as e:
        print("FAILED: %s" % e, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
