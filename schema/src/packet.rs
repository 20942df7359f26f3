//! Packet wire types: the signed packet manifest a machine sends before the bytes, shared by the client packet builder, the sync server and the pipeline.
