// Linux event APIs for the gateway's epoll data plane (Glibc's Swift module does not export them).
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <sys/syscall.h>
#include <unistd.h>

/// accept4(2), which glibc declares only under _GNU_SOURCE.
int cepoll_accept4(int fd, struct sockaddr *address, socklen_t *length, int flags);

/// Names the calling thread (pthread_setname_np, also _GNU_SOURCE only); at most 15 bytes.
void cepoll_name_thread(const char *name);

// The socket calls of the request path as plain system calls. In a multi-threaded process glibc's
// recv, send, writev and epoll_wait switch on asynchronous thread cancellation around the call and
// off again (they are cancellation points); the gateway never cancels a thread, and the two
// switches cost about 1 % of the event loop. syscall(2) sets errno as the wrappers do.

static inline ssize_t cepoll_recv(int fd, void *buffer, size_t length) {
    return syscall(SYS_recvfrom, fd, buffer, length, 0, NULL, NULL);
}

static inline ssize_t cepoll_send(int fd, const void *buffer, size_t length, int flags) {
    return syscall(SYS_sendto, fd, buffer, length, flags, NULL, 0);
}

static inline ssize_t cepoll_writev(int fd, const struct iovec *vector, int count) {
    return syscall(SYS_writev, fd, vector, count);
}

// epoll_pwait without a signal mask is epoll_wait; only it exists on every architecture (arm64 has no epoll_wait).
static inline int cepoll_wait(int epfd, struct epoll_event *events, int maxEvents, int timeout) {
    return (int)syscall(SYS_epoll_pwait, epfd, events, maxEvents, timeout, NULL, 8);
}
