// Local admin API: the unix socket server and its client.
export { startApiServer, requestApi, type ApiServer } from "./socket";
