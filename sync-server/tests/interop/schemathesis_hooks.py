"""Schemathesis hooks for the sync server's API fuzz test: tus PATCH bodies are raw bytes."""

import schemathesis


@schemathesis.serializer("application/offset+octet-stream")
def offset_octet_stream(ctx, value):
    return value if isinstance(value, bytes) else str(value).encode()
