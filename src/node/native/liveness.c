/*
 * edgeha's liveness addon: tells within tens of milliseconds, without waking the agent's
 * event loop or its peer's, whether a peer MACHINE still answers on a link, and when a link
 * loses its carrier. Node has no raw sockets and no netlink, so this is a small addon of our own.
 *
 * One thread per watcher sends an ARP request for the peer's link address every probe interval
 * (unicast to the peer's MAC once known, like the kernel's own reachability probes) and reads
 * the answers the peer's KERNEL sends: the peer's agent never wakes for them, and neither does
 * ours (the thread collects the answers when it wakes to send the next probe). A netlink socket
 * reports carrier changes of the links' interfaces. The agent hears of CHANGES only:
 *
 *   start(links, probeEveryMs, silentAfterProbes, callback) -> handle
 *     links: array of [localAddress, peerAddress] (IPv4; anything else is reported unusable)
 *     callback(link, state, monotonicMs, detail), state one of
 *       "answering"    the peer answered (first answer, or again after silence)
 *       "silent"       silentAfterProbes probes in a row went unanswered, or the carrier went
 *       "carrier-down" / "carrier-up"  the interface of the link lost / regained its carrier
 *       "unusable"     no ARP on this link (no such local address, no MAC, loopback); detail says why
 *     monotonicMs is CLOCK_MONOTONIC in milliseconds (what process.hrtime counts) at the event.
 *   stop(handle)                     ends the thread (also done when the handle is collected)
 *   realtime(priority) -> errno      SCHED_RR for the calling thread and the watchers' threads started
 *                                    after it; processes they start run with the normal scheduler
 *   lockMemory() -> errno            mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)
 *   monotonicMs() -> number
 *   trimMemory() -> 0 | 1            malloc_trim(0): gives the pages malloc holds free back to the
 *                                    kernel (1 when some were); glibc keeps them otherwise, and
 *                                    start-up frees megabytes in the middle of its arenas
 *
 * It also carries the agent's wake-up timer, which Node's timers cannot be: a JS timer moved
 * LATER (clearTimeout + setTimeout, or refresh()) leaves libuv's timer armed at the old deadline,
 * so the loop wakes there for nothing and only then sleeps on; a node that pushes its deadline
 * on every heartbeat pays one such empty wake-up for every two or three it needs. A uv_timer_t
 * re-armed with uv_timer_start leaves the heap with its deadline, so the loop sleeps to the new one.
 *   timer(callback) -> handle       a stopped timer on the agent's event loop
 *   arm(handle, delayMs)            (re)arms it to fire once, delayMs from now (any earlier arming is gone)
 *   disarm(handle)                  stops it; close(handle) stops it for good and frees it
 *   loopCount() -> number           how many times the event loop has woken (uv_metrics_info)
 * The callback runs like a Node timer's (its exceptions are uncaught exceptions; promises and
 * process.nextTick callbacks it queues run after it).
 *
 * Silence is counted in probes actually sent: a thread that was not scheduled for a while sends
 * no probes meanwhile and so finds no silence in it (it reads the answers already queued before
 * it judges). Uses the stable Node-API ABI (version 4); its functions are declared here, so no
 * Node headers are needed and the same source builds for x86_64 and arm64 (scripts/build).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <ifaddrs.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000
#endif
#ifndef MCL_ONFAULT
#define MCL_ONFAULT 4
#endif
#ifndef SCHED_RESET_ON_FORK
#define SCHED_RESET_ON_FORK 0x40000000
#endif

typedef struct napi_env__ *napi_env;
typedef struct napi_value__ *napi_value;
typedef struct napi_callback_info__ *napi_callback_info;
typedef struct napi_threadsafe_function__ *napi_threadsafe_function;
typedef int napi_status; /* an enum in Node-API; 0 is napi_ok */
typedef napi_value (*napi_callback)(napi_env env, napi_callback_info info);
typedef void (*napi_finalize)(napi_env env, void *data, void *hint);
typedef void (*napi_threadsafe_function_call_js)(napi_env env, napi_value js_callback, void *context, void *data);
enum { napi_tsfn_release = 0 };
enum { napi_tsfn_nonblocking = 0 };

extern napi_status napi_get_cb_info(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv, napi_value *this_arg, void **data);
extern napi_status napi_get_value_string_utf8(napi_env env, napi_value value, char *buffer, size_t size, size_t *length);
extern napi_status napi_get_value_double(napi_env env, napi_value value, double *result);
extern napi_status napi_get_value_int32(napi_env env, napi_value value, int32_t *result);
extern napi_status napi_get_array_length(napi_env env, napi_value value, uint32_t *result);
extern napi_status napi_get_element(napi_env env, napi_value object, uint32_t index, napi_value *result);
extern napi_status napi_create_int32(napi_env env, int32_t value, napi_value *result);
extern napi_status napi_create_double(napi_env env, double value, napi_value *result);
extern napi_status napi_create_string_utf8(napi_env env, const char *str, size_t length, napi_value *result);
extern napi_status napi_create_function(napi_env env, const char *name, size_t length, napi_callback callback, void *data, napi_value *result);
extern napi_status napi_create_external(napi_env env, void *data, napi_finalize finalize_cb, void *finalize_hint, napi_value *result);
extern napi_status napi_get_value_external(napi_env env, napi_value value, void **result);
extern napi_status napi_get_undefined(napi_env env, napi_value *result);
extern napi_status napi_call_function(napi_env env, napi_value recv, napi_value func, size_t argc, const napi_value *argv, napi_value *result);
extern napi_status napi_set_named_property(napi_env env, napi_value object, const char *name, napi_value value);
extern napi_status napi_throw_error(napi_env env, const char *code, const char *message);
extern napi_status napi_create_threadsafe_function(napi_env env, napi_value func, napi_value async_resource, napi_value async_resource_name,
                                                   size_t max_queue_size, size_t initial_thread_count, void *thread_finalize_data,
                                                   napi_finalize thread_finalize_cb, void *context, napi_threadsafe_function_call_js call_js_cb,
                                                   napi_threadsafe_function *result);
extern napi_status napi_call_threadsafe_function(napi_threadsafe_function func, void *data, int is_blocking);
extern napi_status napi_release_threadsafe_function(napi_threadsafe_function func, int mode);
extern napi_status napi_unref_threadsafe_function(napi_env env, napi_threadsafe_function func);
struct uv_loop_s;
typedef struct napi_ref__ *napi_ref;
typedef struct napi_handle_scope__ *napi_handle_scope;
typedef struct napi_async_context__ *napi_async_context;
extern napi_status napi_get_uv_event_loop(napi_env env, struct uv_loop_s **loop);
extern napi_status napi_create_reference(napi_env env, napi_value value, uint32_t initial_refcount, napi_ref *result);
extern napi_status napi_delete_reference(napi_env env, napi_ref ref);
extern napi_status napi_get_reference_value(napi_env env, napi_ref ref, napi_value *result);
extern napi_status napi_open_handle_scope(napi_env env, napi_handle_scope *result);
extern napi_status napi_close_handle_scope(napi_env env, napi_handle_scope scope);
extern napi_status napi_async_init(napi_env env, napi_value async_resource, napi_value async_resource_name, napi_async_context *result);
extern napi_status napi_async_destroy(napi_env env, napi_async_context async_context);
extern napi_status napi_make_callback(napi_env env, napi_async_context async_context, napi_value recv, napi_value func, size_t argc, const napi_value *argv, napi_value *result);
extern napi_status napi_get_and_clear_last_exception(napi_env env, napi_value *result);
extern napi_status napi_fatal_exception(napi_env env, napi_value err);
extern napi_status napi_get_global(napi_env env, napi_value *result);
enum { napi_pending_exception = 10 };

/* The few libuv functions the timer uses, exported by the node executable (libuv's stable ABI). */
typedef struct uv_loop_s uv_loop_t;
typedef struct uv_timer_s uv_timer_t;
typedef struct uv_handle_s uv_handle_t;
typedef void (*uv_timer_cb)(uv_timer_t *handle);
typedef void (*uv_close_cb)(uv_handle_t *handle);
typedef struct {
  uint64_t loop_count;
  uint64_t events;
  uint64_t events_waiting;
  uint64_t *reserved[13];
} uv_metrics_t;
extern int uv_timer_init(uv_loop_t *loop, uv_timer_t *handle);
extern int uv_timer_start(uv_timer_t *handle, uv_timer_cb cb, uint64_t timeout, uint64_t repeat);
extern int uv_timer_stop(uv_timer_t *handle);
extern void uv_close(uv_handle_t *handle, uv_close_cb close_cb);
extern void uv_update_time(uv_loop_t *loop);
extern int uv_metrics_info(uv_loop_t *loop, uv_metrics_t *metrics);

#define LINKS_MAX 256 /* 32 nodes x 8 links */
#define DETAIL_MAX 96
/* Events waiting for the event loop; more are dropped (changes are rare; a stuck loop is the agent's stall check's business). */
#define QUEUE_MAX 256

enum link_state { STATE_UNKNOWN, STATE_ANSWERING, STATE_SILENT, STATE_UNUSABLE };

struct arp_packet {
  uint16_t hardware_type, protocol_type;
  uint8_t hardware_length, protocol_length;
  uint16_t operation;
  uint8_t sender_mac[6];
  uint8_t sender_ip[4];
  uint8_t target_mac[6];
  uint8_t target_ip[4];
} __attribute__((packed));

struct link {
  int index;
  int fd;
  int ifindex;
  char ifname[IF_NAMESIZE];
  uint8_t local_mac[6];
  struct in_addr local_ip, peer_ip;
  uint8_t peer_mac[6];
  int peer_mac_known;
  int outstanding; /* a probe was sent and not yet judged */
  int unanswered;  /* probes in a row without an answer */
  int carrier;     /* 1 up, 0 down, -1 not known yet */
  enum link_state state;
};

struct watcher {
  pthread_t thread;
  int thread_started;
  volatile int running;
  int wake_fd;
  int netlink_fd;
  long probe_every_ns;
  int silent_after;
  int count;
  struct link links[LINKS_MAX];
  napi_threadsafe_function callback;
  int stopped;
};

/* The priority realtime() gave the agent's thread, which the liveness thread takes too (0: none). */
static volatile int realtime_priority = 0;

struct event {
  int link;
  char state[16];
  double monotonic_ms;
  char detail[DETAIL_MAX];
};

static int64_t monotonic_ns(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (int64_t)now.tv_sec * 1000000000LL + now.tv_nsec;
}

static void post(struct watcher *watcher, int link, const char *state, const char *detail) {
  struct event *event = calloc(1, sizeof *event);
  if (event == NULL) return;
  event->link = link;
  snprintf(event->state, sizeof event->state, "%s", state);
  event->monotonic_ms = (double)monotonic_ns() / 1e6;
  snprintf(event->detail, sizeof event->detail, "%s", detail == NULL ? "" : detail);
  if (napi_call_threadsafe_function(watcher->callback, event, napi_tsfn_nonblocking) != 0) free(event);
}

static void call_js(napi_env env, napi_value callback, void *context, void *data) {
  (void)context;
  struct event *event = data;
  if (env != NULL && callback != NULL) {
    napi_value argv[4], undefined = NULL, result = NULL;
    napi_create_int32(env, event->link, &argv[0]);
    napi_create_string_utf8(env, event->state, strlen(event->state), &argv[1]);
    napi_create_double(env, event->monotonic_ms, &argv[2]);
    napi_create_string_utf8(env, event->detail, strlen(event->detail), &argv[3]);
    napi_get_undefined(env, &undefined);
    napi_call_function(env, undefined, callback, 4, argv, &result);
  }
  free(event);
}

/* Finds the interface that holds the local address; fills ifname, ifindex and MAC, or says why not. */
static const char *resolve_interface(struct link *link) {
  struct ifaddrs *list = NULL;
  if (getifaddrs(&list) != 0) return "getifaddrs failed";
  const char *problem = "no interface holds the local address";
  for (struct ifaddrs *entry = list; entry != NULL; entry = entry->ifa_next) {
    if (entry->ifa_addr == NULL || entry->ifa_addr->sa_family != AF_INET) continue;
    if (((struct sockaddr_in *)entry->ifa_addr)->sin_addr.s_addr != link->local_ip.s_addr) continue;
    if (entry->ifa_flags & IFF_LOOPBACK) { problem = "the local address is on a loopback interface"; break; }
    if (entry->ifa_flags & IFF_NOARP) { problem = "the interface does not use ARP"; break; }
    snprintf(link->ifname, sizeof link->ifname, "%s", entry->ifa_name);
    link->ifindex = (int)if_nametoindex(entry->ifa_name);
    problem = link->ifindex == 0 ? "if_nametoindex failed" : NULL;
    break;
  }
  freeifaddrs(list);
  if (problem != NULL) return problem;
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return "no socket for SIOCGIFHWADDR";
  struct ifreq request;
  memset(&request, 0, sizeof request);
  snprintf(request.ifr_name, sizeof request.ifr_name, "%s", link->ifname);
  int failed = ioctl(fd, SIOCGIFHWADDR, &request) != 0;
  close(fd);
  if (failed) return "SIOCGIFHWADDR failed";
  if (request.ifr_hwaddr.sa_family != ARPHRD_ETHER) return "the interface is not Ethernet";
  memcpy(link->local_mac, request.ifr_hwaddr.sa_data, 6);
  return NULL;
}

/* An ARP socket on the link's interface that only ever sees ARP replies from the peer's address. */
static const char *open_arp_socket(struct link *link) {
  int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ARP));
  if (fd < 0) return errno == EPERM ? "no CAP_NET_RAW (the agent runs as root)" : "cannot open a packet socket";
  struct sock_filter code[] = {
      BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 6),                          /* operation */
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARPOP_REPLY, 0, 3),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 14),                         /* sender address */
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ntohl(link->peer_ip.s_addr), 0, 1),
      BPF_STMT(BPF_RET | BPF_K, 0xffff),
      BPF_STMT(BPF_RET | BPF_K, 0),
  };
  struct sock_fprog program = {.len = sizeof code / sizeof code[0], .filter = code};
  struct sockaddr_ll address;
  memset(&address, 0, sizeof address);
  address.sll_family = AF_PACKET;
  address.sll_protocol = htons(ETH_P_ARP);
  address.sll_ifindex = link->ifindex;
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof program) != 0 || bind(fd, (struct sockaddr *)&address, sizeof address) != 0) {
    close(fd);
    return "cannot bind the packet socket";
  }
  /* Whatever arrived before the filter was attached is not judged. */
  char discard[64];
  while (recv(fd, discard, sizeof discard, 0) > 0) {}
  link->fd = fd;
  return NULL;
}

static void send_probe(struct link *link) {
  struct arp_packet packet;
  packet.hardware_type = htons(ARPHRD_ETHER);
  packet.protocol_type = htons(ETH_P_IP);
  packet.hardware_length = 6;
  packet.protocol_length = 4;
  packet.operation = htons(ARPOP_REQUEST);
  memcpy(packet.sender_mac, link->local_mac, 6);
  memcpy(packet.sender_ip, &link->local_ip, 4);
  memset(packet.target_mac, 0, 6);
  memcpy(packet.target_ip, &link->peer_ip, 4);
  struct sockaddr_ll address;
  memset(&address, 0, sizeof address);
  address.sll_family = AF_PACKET;
  address.sll_protocol = htons(ETH_P_ARP);
  address.sll_ifindex = link->ifindex;
  address.sll_halen = 6;
  if (link->peer_mac_known) memcpy(address.sll_addr, link->peer_mac, 6);
  else memset(address.sll_addr, 0xff, 6);
  if (sendto(link->fd, &packet, sizeof packet, MSG_DONTWAIT, (struct sockaddr *)&address, sizeof address) == (ssize_t)sizeof packet) link->outstanding = 1;
}

/* Reads the answers that queued up since the last probe; true when the peer answered. */
static int drain_answers(struct link *link) {
  int answered = 0;
  struct arp_packet packet;
  ssize_t length;
  while ((length = recv(link->fd, &packet, sizeof packet, 0)) >= (ssize_t)sizeof packet) {
    if (ntohs(packet.operation) != ARPOP_REPLY || memcmp(packet.sender_ip, &link->peer_ip, 4) != 0) continue;
    memcpy(link->peer_mac, packet.sender_mac, 6);
    link->peer_mac_known = 1;
    answered = 1;
  }
  return answered;
}

/* Judges the probe sent last time, then sends the next one. */
static void probe_round(struct watcher *watcher, struct link *link) {
  /* Without a carrier nothing is sent and nothing judged; the link is silent already. */
  if (link->state == STATE_UNUSABLE || link->carrier == 0) return;
  if (drain_answers(link)) {
    link->unanswered = 0;
    if (link->state != STATE_ANSWERING) {
      link->state = STATE_ANSWERING;
      post(watcher, link->index, "answering", link->ifname);
    }
  } else if (link->outstanding) {
    link->unanswered++;
    if (link->state == STATE_ANSWERING && link->unanswered >= watcher->silent_after) {
      link->state = STATE_SILENT;
      /* The peer may have a new MAC when it answers again (a bond, a replaced card): ask everyone. */
      link->peer_mac_known = 0;
      char detail[DETAIL_MAX];
      snprintf(detail, sizeof detail, "%d probes unanswered on %s", link->unanswered, link->ifname);
      post(watcher, link->index, "silent", detail);
    }
  }
  link->outstanding = 0;
  send_probe(link);
}

static void read_netlink(struct watcher *watcher) {
  char buffer[8192];
  ssize_t length;
  while ((length = recv(watcher->netlink_fd, buffer, sizeof buffer, MSG_DONTWAIT)) > 0) {
    for (struct nlmsghdr *header = (struct nlmsghdr *)buffer; NLMSG_OK(header, (unsigned)length); header = NLMSG_NEXT(header, length)) {
      if (header->nlmsg_type != RTM_NEWLINK && header->nlmsg_type != RTM_DELLINK) continue;
      struct ifinfomsg *info = NLMSG_DATA(header);
      int carrier = header->nlmsg_type == RTM_NEWLINK && (info->ifi_flags & IFF_LOWER_UP) != 0 && (info->ifi_flags & IFF_UP) != 0;
      for (int index = 0; index < watcher->count; index++) {
        struct link *link = &watcher->links[index];
        if (link->state == STATE_UNUSABLE || link->ifindex != info->ifi_index || link->carrier == carrier) continue;
        link->carrier = carrier;
        post(watcher, link->index, carrier ? "carrier-up" : "carrier-down", link->ifname);
        /* Answers read later may predate the loss: they are dropped, and the count starts again. */
        drain_answers(link);
        link->outstanding = 0;
        link->unanswered = 0;
        if (!carrier && link->state == STATE_ANSWERING) {
          link->state = STATE_SILENT;
          link->peer_mac_known = 0;
          char detail[DETAIL_MAX];
          snprintf(detail, sizeof detail, "carrier lost on %s", link->ifname);
          post(watcher, link->index, "silent", detail);
        }
      }
    }
  }
}

static void *run(void *argument) {
  struct watcher *watcher = argument;
  /* A new thread starts with the normal scheduler (SCHED_RESET_ON_FORK covers threads too). */
  if (realtime_priority > 0) {
    struct sched_param parameters = {.sched_priority = realtime_priority};
    sched_setscheduler(0, SCHED_RR | SCHED_RESET_ON_FORK, &parameters);
  }
  int64_t next_probe_ns = monotonic_ns();
  while (watcher->running) {
    int64_t now_ns = monotonic_ns();
    if (now_ns >= next_probe_ns) {
      for (int index = 0; index < watcher->count; index++) probe_round(watcher, &watcher->links[index]);
      next_probe_ns += watcher->probe_every_ns;
      /* Late (not scheduled for a while): the next round is a whole interval away, never a burst. */
      if (next_probe_ns <= now_ns) next_probe_ns = now_ns + watcher->probe_every_ns;
    }
    struct pollfd fds[2] = {{.fd = watcher->wake_fd, .events = POLLIN}, {.fd = watcher->netlink_fd, .events = POLLIN}};
    int64_t wait_ns = next_probe_ns - monotonic_ns();
    int timeout_ms = wait_ns <= 0 ? 0 : (int)((wait_ns + 999999) / 1000000);
    int ready = poll(fds, watcher->netlink_fd >= 0 ? 2 : 1, timeout_ms);
    if (ready > 0 && watcher->netlink_fd >= 0 && (fds[1].revents & POLLIN)) read_netlink(watcher);
  }
  return NULL;
}

static void stop_watcher(struct watcher *watcher) {
  if (watcher->stopped) return;
  watcher->stopped = 1;
  watcher->running = 0;
  if (watcher->thread_started) {
    uint64_t one = 1;
    ssize_t written = write(watcher->wake_fd, &one, sizeof one);
    (void)written;
    pthread_join(watcher->thread, NULL);
  }
  for (int index = 0; index < watcher->count; index++) if (watcher->links[index].fd >= 0) close(watcher->links[index].fd);
  if (watcher->netlink_fd >= 0) close(watcher->netlink_fd);
  if (watcher->wake_fd >= 0) close(watcher->wake_fd);
  if (watcher->callback != NULL) napi_release_threadsafe_function(watcher->callback, napi_tsfn_release);
  watcher->callback = NULL;
}

static void finalize_watcher(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  stop_watcher(data);
  free(data);
}

static napi_value throw_arguments(napi_env env) {
  napi_throw_error(env, "E_LIVENESS_ARGUMENTS", "start(links: [local, peer][], probeEveryMs, silentAfterProbes, callback)");
  return NULL;
}

static napi_value start(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  uint32_t count = 0;
  double every_ms = 0;
  int32_t silent_after = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != 0 || argc != 4) return throw_arguments(env);
  if (napi_get_array_length(env, argv[0], &count) != 0 || count > LINKS_MAX) return throw_arguments(env);
  if (napi_get_value_double(env, argv[1], &every_ms) != 0 || !(every_ms >= 1 && every_ms <= 10000)) return throw_arguments(env);
  if (napi_get_value_int32(env, argv[2], &silent_after) != 0 || silent_after < 1 || silent_after > 100) return throw_arguments(env);
  struct watcher *watcher = calloc(1, sizeof *watcher);
  if (watcher == NULL) return throw_arguments(env);
  watcher->wake_fd = -1;
  watcher->netlink_fd = -1;
  watcher->probe_every_ns = (long)(every_ms * 1e6);
  watcher->silent_after = silent_after;
  char problems[LINKS_MAX][DETAIL_MAX];
  for (uint32_t index = 0; index < count; index++) {
    struct link *link = &watcher->links[index];
    link->index = (int)index;
    link->fd = -1;
    link->carrier = -1;
    problems[index][0] = '\0';
    napi_value pair, local, peer;
    char local_text[64], peer_text[64];
    size_t length = 0;
    if (napi_get_element(env, argv[0], index, &pair) != 0 || napi_get_element(env, pair, 0, &local) != 0 || napi_get_element(env, pair, 1, &peer) != 0 ||
        napi_get_value_string_utf8(env, local, local_text, sizeof local_text, &length) != 0 || napi_get_value_string_utf8(env, peer, peer_text, sizeof peer_text, &length) != 0) {
      free(watcher);
      return throw_arguments(env);
    }
    const char *problem = NULL;
    if (inet_pton(AF_INET, local_text, &link->local_ip) != 1 || inet_pton(AF_INET, peer_text, &link->peer_ip) != 1) problem = "not an IPv4 link";
    if (problem == NULL) problem = resolve_interface(link);
    if (problem == NULL) problem = open_arp_socket(link);
    if (problem != NULL) {
      link->state = STATE_UNUSABLE;
      snprintf(problems[index], DETAIL_MAX, "%s", problem);
    }
  }
  watcher->count = (int)count;
  napi_value name;
  napi_create_string_utf8(env, "edgeha-liveness", 15, &name);
  if (napi_create_threadsafe_function(env, argv[3], NULL, name, QUEUE_MAX, 1, NULL, NULL, NULL, call_js, &watcher->callback) != 0) {
    stop_watcher(watcher);
    free(watcher);
    return throw_arguments(env);
  }
  /* The watcher never keeps the agent alive by itself. */
  napi_unref_threadsafe_function(env, watcher->callback);
  for (int index = 0; index < watcher->count; index++) if (watcher->links[index].state == STATE_UNUSABLE) post(watcher, index, "unusable", problems[index]);
  watcher->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  watcher->netlink_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (watcher->netlink_fd >= 0) {
    struct sockaddr_nl address;
    memset(&address, 0, sizeof address);
    address.nl_family = AF_NETLINK;
    address.nl_groups = RTMGRP_LINK;
    if (bind(watcher->netlink_fd, (struct sockaddr *)&address, sizeof address) != 0) {
      close(watcher->netlink_fd);
      watcher->netlink_fd = -1;
    }
  }
  watcher->running = 1;
  if (watcher->wake_fd < 0 || pthread_create(&watcher->thread, NULL, run, watcher) != 0) {
    stop_watcher(watcher);
    free(watcher);
    napi_throw_error(env, "E_LIVENESS_THREAD", "cannot start the liveness thread");
    return NULL;
  }
  watcher->thread_started = 1;
  napi_value handle;
  if (napi_create_external(env, watcher, finalize_watcher, NULL, &handle) != 0) {
    stop_watcher(watcher);
    free(watcher);
    return throw_arguments(env);
  }
  return handle;
}

static napi_value stop(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], undefined = NULL;
  void *data = NULL;
  napi_get_undefined(env, &undefined);
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != 0 || argc != 1 || napi_get_value_external(env, argv[0], &data) != 0 || data == NULL) {
    napi_throw_error(env, "E_LIVENESS_ARGUMENTS", "stop(handle)");
    return NULL;
  }
  stop_watcher(data);
  return undefined;
}

static napi_value result_of(napi_env env, int value) {
  napi_value result = NULL;
  napi_create_int32(env, value, &result);
  return result;
}

static napi_value realtime(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t priority = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != 0 || argc != 1 || napi_get_value_int32(env, argv[0], &priority) != 0 || priority < 1 || priority > 99) {
    napi_throw_error(env, "E_LIVENESS_ARGUMENTS", "realtime(priority 1-99)");
    return NULL;
  }
  struct sched_param parameters = {.sched_priority = priority};
  if (sched_setscheduler(0, SCHED_RR | SCHED_RESET_ON_FORK, &parameters) != 0) return result_of(env, errno);
  realtime_priority = priority;
  return result_of(env, 0);
}

static napi_value lock_memory(napi_env env, napi_callback_info info) {
  (void)info;
  return result_of(env, mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) == 0 ? 0 : errno);
}

static napi_value trim_memory(napi_env env, napi_callback_info info) {
  (void)info;
  return result_of(env, malloc_trim(0));
}

static napi_value monotonic(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result = NULL;
  napi_create_double(env, (double)monotonic_ns() / 1e6, &result);
  return result;
}

/* The wake-up timer (see the top). uv_timer_t's storage comes first, so the handle is the struct. */
struct wake_timer {
  unsigned char handle[512] __attribute__((aligned(16))); /* a uv_timer_t is about 150 bytes */
  uv_loop_t *loop;
  napi_env env;
  napi_ref callback;
  napi_async_context context;
  int closed;
};

static void on_timer(uv_timer_t *handle) {
  struct wake_timer *timer = (struct wake_timer *)handle;
  if (timer->closed) return;
  napi_env env = timer->env;
  napi_handle_scope scope = NULL;
  if (napi_open_handle_scope(env, &scope) != 0) return;
  napi_value callback = NULL, receiver = NULL, result = NULL;
  if (napi_get_reference_value(env, timer->callback, &callback) == 0 && callback != NULL && napi_get_global(env, &receiver) == 0) {
    if (napi_make_callback(env, timer->context, receiver, callback, 0, NULL, &result) == napi_pending_exception) {
      napi_value error = NULL;
      if (napi_get_and_clear_last_exception(env, &error) == 0) napi_fatal_exception(env, error);
    }
  }
  napi_close_handle_scope(env, scope);
}

static void free_timer(uv_handle_t *handle) { free(handle); }

static void close_timer(struct wake_timer *timer) {
  if (timer->closed) return;
  timer->closed = 1;
  uv_timer_stop((uv_timer_t *)timer->handle);
  napi_delete_reference(timer->env, timer->callback);
  napi_async_destroy(timer->env, timer->context);
  uv_close((uv_handle_t *)timer->handle, free_timer);
}

static void finalize_timer(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  close_timer(data);
}

static struct wake_timer *timer_argument(napi_env env, napi_callback_info info, size_t wanted, napi_value *argv, const char *usage) {
  size_t argc = wanted;
  void *data = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != 0 || argc != wanted || napi_get_value_external(env, argv[0], &data) != 0 || data == NULL ||
      ((struct wake_timer *)data)->closed) {
    napi_throw_error(env, "E_LIVENESS_ARGUMENTS", usage);
    return NULL;
  }
  return data;
}

static napi_value wake_timer_create(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], name = NULL, handle = NULL;
  uv_loop_t *loop = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != 0 || argc != 1 || napi_get_uv_event_loop(env, &loop) != 0 || loop == NULL) {
    napi_throw_error(env, "E_LIVENESS_ARGUMENTS", "timer(callback)");
    return NULL;
  }
  struct wake_timer *timer = calloc(1, sizeof *timer);
  if (timer == NULL) {
    napi_throw_error(env, "E_LIVENESS_TIMER", "out of memory");
    return NULL;
  }
  timer->loop = loop;
  timer->env = env;
  if (napi_create_reference(env, argv[0], 1, &timer->callback) != 0 || napi_create_string_utf8(env, "edgeha.wake", 11, &name) != 0 ||
      napi_async_init(env, NULL, name, &timer->context) != 0) {
    if (timer->callback != NULL) napi_delete_reference(env, timer->callback);
    free(timer);
    napi_throw_error(env, "E_LIVENESS_ARGUMENTS", "timer(callback): callback must be a function");
    return NULL;
  }
  if (uv_timer_init(loop, (uv_timer_t *)timer->handle) != 0) {
    napi_delete_reference(env, timer->callback);
    napi_async_destroy(env, timer->context);
    free(timer);
    napi_throw_error(env, "E_LIVENESS_TIMER", "uv_timer_init failed");
    return NULL;
  }
  if (napi_create_external(env, timer, finalize_timer, NULL, &handle) != 0) {
    close_timer(timer);
    napi_throw_error(env, "E_LIVENESS_TIMER", "cannot create the timer's handle");
    return NULL;
  }
  return handle;
}

static napi_value timer_arm(napi_env env, napi_callback_info info) {
  napi_value argv[2], undefined = NULL;
  struct wake_timer *timer = timer_argument(env, info, 2, argv, "arm(handle, delayMs)");
  double delay = 0;
  if (timer == NULL) return NULL;
  if (napi_get_value_double(env, argv[1], &delay) != 0 || !(delay >= 0) || delay > 4294967295.0) {
    napi_throw_error(env, "E_LIVENESS_ARGUMENTS", "arm(handle, delayMs): delayMs from 0 to 2^32-1");
    return NULL;
  }
  /* The loop's clock is cached at the start of each turn: counted from now, not from then. */
  uv_update_time(timer->loop);
  uv_timer_start((uv_timer_t *)timer->handle, on_timer, (uint64_t)delay, 0);
  napi_get_undefined(env, &undefined);
  return undefined;
}

static napi_value timer_disarm(napi_env env, napi_callback_info info) {
  napi_value argv[1], undefined = NULL;
  struct wake_timer *timer = timer_argument(env, info, 1, argv, "disarm(handle)");
  if (timer == NULL) return NULL;
  uv_timer_stop((uv_timer_t *)timer->handle);
  napi_get_undefined(env, &undefined);
  return undefined;
}

static napi_value timer_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], undefined = NULL;
  void *data = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != 0 || argc != 1 || napi_get_value_external(env, argv[0], &data) != 0 || data == NULL) {
    napi_throw_error(env, "E_LIVENESS_ARGUMENTS", "close(handle)");
    return NULL;
  }
  close_timer(data);
  napi_get_undefined(env, &undefined);
  return undefined;
}

static napi_value loop_count(napi_env env, napi_callback_info info) {
  (void)info;
  uv_loop_t *loop = NULL;
  uv_metrics_t metrics;
  memset(&metrics, 0, sizeof metrics);
  napi_value result = NULL;
  if (napi_get_uv_event_loop(env, &loop) != 0 || loop == NULL || uv_metrics_info(loop, &metrics) != 0) return result_of(env, -1);
  napi_create_double(env, (double)metrics.loop_count, &result);
  return result;
}

static int export_function(napi_env env, napi_value exports, const char *name, napi_callback callback) {
  napi_value function = NULL;
  if (napi_create_function(env, name, strlen(name), callback, NULL, &function) != 0) return -1;
  return napi_set_named_property(env, exports, name, function) == 0 ? 0 : -1;
}

napi_value napi_register_module_v1(napi_env env, napi_value exports) {
  if (export_function(env, exports, "start", start) != 0 || export_function(env, exports, "stop", stop) != 0 ||
      export_function(env, exports, "realtime", realtime) != 0 || export_function(env, exports, "lockMemory", lock_memory) != 0 ||
      export_function(env, exports, "monotonicMs", monotonic) != 0 || export_function(env, exports, "timer", wake_timer_create) != 0 ||
      export_function(env, exports, "arm", timer_arm) != 0 || export_function(env, exports, "disarm", timer_disarm) != 0 ||
      export_function(env, exports, "close", timer_close) != 0 || export_function(env, exports, "loopCount", loop_count) != 0 ||
      export_function(env, exports, "trimMemory", trim_memory) != 0) return NULL;
  return exports;
}

/* Thread-safe functions need Node-API version 4. */
int32_t node_api_module_get_api_version_v1(void) { return 4; }
