"""Uploads a file to the sync server with tuspy, a tus client the project did not write.

Usage: tus_upload.py ENDPOINT FILE RID PACKET_ID TOKEN CHUNK STOP_AT URL_FILE

With STOP_AT > 0 the upload stops once that many bytes are sent (the interruption) and the
upload URL is written to URL_FILE; with STOP_AT = 0 it resumes the upload named in URL_FILE
(tuspy asks the server for its offset first) and finishes it. Prints the server's offset.
"""

import sys

from tusclient import client

endpoint, path, rid, packet_id, token, chunk, stop_at, url_file = sys.argv[1:]
tus = client.TusClient(endpoint, headers={"Authorization": "Bearer " + token})
metadata = {"rid": rid, "packetId": packet_id}
if int(stop_at) > 0:
    uploader = tus.uploader(path, chunk_size=int(chunk), metadata=metadata)
    uploader.upload(stop_at=int(stop_at))
    with open(url_file, "w") as out:
        out.write(uploader.url)
else:
    with open(url_file) as saved:
        url = saved.read().strip()
    uploader = tus.uploader(path, chunk_size=int(chunk), metadata=metadata, url=url)
    uploader.upload()
print(uploader.offset)
