// Local admin API: the unix socket server and its client.
export { startApiServer, requestApi, API_LIMITS, API_REPLY_BYTES_MAX, type ApiServer, type ApiLimits, type ApiServerOptions, type ApiStatistics } from "./socket";
export { groupId, adminGroupOwnership } from "./group";
export { startMetricsServer, type MetricsServer, type HttpHandlers } from "./http";
export { renderMetrics, failCountsOf, escapeLabelValue, DURATION_BOUNDS_SECONDS, EVENT_LOOP_BOUNDS_SECONDS, type MetricsSnapshot, type SummaryView, type AgentCounters } from "./metrics";
export { renderStatusPage, escapeHtml, PAGE_REFRESH_SECONDS, type StatusPageView } from "./status-page";
