/* Opens idle connections to a benchmark echo server, for the server's memory per idle
 * connection. Library-neutral: plain blocking sockets. Each connection sends one byte and
 * reads the echo back, so the server has accepted it and read from it.
 *
 * Protocol with the harness: one warm-up connection, then "warm" on stdout; a line on
 * stdin starts the N connections, then "ready N" on stdout; stdin EOF ends it.
 *
 *   idle_client PORT N */
#include <sys/resource.h>

#include "bench_util.h"

static int connect_one(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        bench_die("socket");
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0)
        bench_die("connect");
    char c = 'x';
    if (write(fd, &c, 1) != 1 || read(fd, &c, 1) != 1)
        bench_die("echo");
    return fd;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: idle_client PORT N\n");
        return 2;
    }
    int port = atoi(argv[1]);
    long n = atol(argv[2]);
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    connect_one(port);
    printf("warm\n");
    fflush(stdout);
    char line[64];
    if (!fgets(line, sizeof line, stdin))
        return 0;
    for (long i = 0; i < n; i++)
        connect_one(port);
    printf("ready %ld\n", n);
    fflush(stdout);
    while (fgets(line, sizeof line, stdin))
        ;
    return 0;
}
