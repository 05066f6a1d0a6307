/*
 * edgeha's systemd-notify addon: sends one datagram to the unix socket systemd named in
 * NOTIFY_SOCKET ("READY=1", "STATUS=...", "STOPPING=1", "WATCHDOG=1"). Node has no unix
 * datagram socket, and running systemd-notify for every watchdog ping would fork a process
 * each time. One exported function:
 *
 *   send(socketPath: string, message: string): number   0, or the errno of the failure
 *
 * A path starting with '@' is an abstract socket (the '@' becomes a NUL byte), as systemd
 * documents for NOTIFY_SOCKET. The addon uses the stable Node-API ABI; the few functions it
 * calls are declared here (their signatures are Node-API's), so no Node headers are needed to
 * build it and the same source builds for x86_64 and arm64 (scripts/build).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

typedef struct napi_env__ *napi_env;
typedef struct napi_value__ *napi_value;
typedef struct napi_callback_info__ *napi_callback_info;
typedef int napi_status; /* an enum in Node-API; 0 is napi_ok */
typedef napi_value (*napi_callback)(napi_env env, napi_callback_info info);

extern napi_status napi_get_cb_info(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv, napi_value *this_arg, void **data);
extern napi_status napi_get_value_string_utf8(napi_env env, napi_value value, char *buffer, size_t size, size_t *length);
extern napi_status napi_create_int32(napi_env env, int32_t value, napi_value *result);
extern napi_status napi_create_function(napi_env env, const char *name, size_t length, napi_callback callback, void *data, napi_value *result);
extern napi_status napi_set_named_property(napi_env env, napi_value object, const char *name, napi_value value);
extern napi_status napi_throw_error(napi_env env, const char *code, const char *message);

/* systemd reads at most this much of a notification; longer ones are refused here. */
#define MESSAGE_BYTES_MAX 4096

static napi_value result_of(napi_env env, int value) {
  napi_value result = NULL;
  napi_create_int32(env, value, &result);
  return result;
}

static int send_datagram(const char *socket_path, size_t path_length, const char *message, size_t message_length) {
  struct sockaddr_un address;
  memset(&address, 0, sizeof address);
  address.sun_family = AF_UNIX;
  if (path_length == 0 || path_length >= sizeof address.sun_path) return ENAMETOOLONG;
  memcpy(address.sun_path, socket_path, path_length);
  if (address.sun_path[0] == '@') address.sun_path[0] = '\0';
  socklen_t address_length = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + path_length + (socket_path[0] == '@' ? 0 : 1));
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  ssize_t sent = sendto(fd, message, message_length, MSG_NOSIGNAL, (struct sockaddr *)&address, address_length);
  int failure = sent < 0 ? errno : ((size_t)sent != message_length ? EMSGSIZE : 0);
  close(fd);
  return failure;
}

static napi_value send_notification(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != 0 || argc != 2) {
    napi_throw_error(env, "E_NOTIFY_ARGUMENTS", "send(socketPath, message) takes two strings");
    return NULL;
  }
  char socket_path[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
  char message[MESSAGE_BYTES_MAX + 1];
  size_t path_length = 0, message_length = 0;
  if (napi_get_value_string_utf8(env, argv[0], socket_path, sizeof socket_path, &path_length) != 0 ||
      napi_get_value_string_utf8(env, argv[1], message, sizeof message, &message_length) != 0) {
    napi_throw_error(env, "E_NOTIFY_ARGUMENTS", "send(socketPath, message) takes two strings");
    return NULL;
  }
  /* A string that filled the buffer may have been cut: refuse it rather than send part of it. */
  if (path_length >= sizeof socket_path - 1) return result_of(env, ENAMETOOLONG);
  if (message_length >= sizeof message - 1) return result_of(env, EMSGSIZE);
  return result_of(env, send_datagram(socket_path, path_length, message, message_length));
}

napi_value napi_register_module_v1(napi_env env, napi_value exports) {
  napi_value function = NULL;
  if (napi_create_function(env, "send", 4, send_notification, NULL, &function) != 0) return NULL;
  if (napi_set_named_property(env, exports, "send", function) != 0) return NULL;
  return exports;
}

/* Node-API version 1 is all this addon uses. */
int32_t node_api_module_get_api_version_v1(void) { return 1; }
