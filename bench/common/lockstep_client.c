/* One connection, one PING_INLINE request in flight ("PING\r\n", answered "+PONG\r\n"), as
 * redis-benchmark -c 1 sends them, but with boundaries the harness controls: the server's
 * counts (callgrind instructions, strace syscalls) are taken around exactly the requests
 * of a window, with no connect, no close and no warm-up inside it. Library-neutral: plain
 * blocking sockets, so every server sees the same client.
 *
 * Protocol with the harness: WARM requests, then "warm" on stdout; then each line "N" on
 * stdin runs N requests and answers "done N SECONDS"; stdin EOF closes the connection.
 *
 *   lockstep_client PORT [WARM, default 200] */
#include <netinet/tcp.h>

#include "bench_util.h"

static const char request[] = "PING\r\n";
static const char reply[] = "+PONG\r\n";

static void one_request(int fd)
{
    if (write(fd, request, sizeof request - 1) != (ssize_t)(sizeof request - 1))
        bench_die("write");
    char got[sizeof reply - 1];
    size_t have = 0;
    while (have < sizeof got) {
        ssize_t n = read(fd, got + have, sizeof got - have);
        if (n <= 0)
            bench_die(n == 0 ? "read: the server closed" : "read");
        have += (size_t)n;
    }
    if (memcmp(got, reply, sizeof got) != 0) {
        fprintf(stderr, "lockstep_client: unexpected reply\n");
        exit(2);
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: lockstep_client PORT [WARM]\n");
        return 2;
    }
    int port = atoi(argv[1]);
    long warm = argc > 2 ? atol(argv[2]) : 200;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        bench_die("socket");
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0)
        bench_die("connect");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    for (long i = 0; i < warm; i++)
        one_request(fd);
    printf("warm\n");
    fflush(stdout);
    char line[64];
    while (fgets(line, sizeof line, stdin)) {
        long n = atol(line);
        double t0 = bench_now();
        for (long i = 0; i < n; i++)
            one_request(fd);
        printf("done %ld %.6f\n", n, bench_now() - t0);
        fflush(stdout);
    }
    close(fd);
    return 0;
}
