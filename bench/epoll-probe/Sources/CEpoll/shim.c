// sys/epoll.h for Swift (Glibc does not export it).
