// Linux event APIs for the gateway's epoll data plane (Glibc's Swift module does not export them).
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

/// accept4(2), which glibc declares only under _GNU_SOURCE.
int cepoll_accept4(int fd, struct sockaddr *address, socklen_t *length, int flags);

/// Names the calling thread (pthread_setname_np, also _GNU_SOURCE only); at most 15 bytes.
void cepoll_name_thread(const char *name);
