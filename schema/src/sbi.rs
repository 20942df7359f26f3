//! SBI 0.9.5 wire types (device discovery, device info, capture and stream requests and
//! responses) shared by the device bridge and the client's SBI client.
