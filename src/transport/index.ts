// Transport: authenticated, encrypted frames with a replay window (frame.ts).
export {
  FrameCodec, clusterHash, deriveTransportKey, FRAME_VERSION, FRAME_VERSION_MIN, FRAME_VERSION_MAX, HEADER_BYTES, TAG_BYTES, FRAME_BYTES_MAX, BODY_BYTES_MAX,
  type Frame, type FrameHeader, type FrameKind, type DropReason, type DecodeResult, type CodecOptions,
} from "./frame";
export { ReplayWindow, WINDOW_SIZE } from "./replay";
export { ReliableSender, ReliableReceiver, RELIABLE_DEFAULTS, FRAGMENT_DATA_BYTES, type ReliableSettings } from "./reliable";
export { UdpTransport, LinkMonitor, type Transport, type Datagram } from "./udp";
export { DropLedger, describeDrops, DROP_WINDOW_MS, DROP_LOG_INTERVAL_MS, SOURCES_MAX, type DropReport, type MisconfigurationReason } from "./drops";
