/* The test-only kqueue shim (tests/support/kqueue_shim.c) against what kqueue(2) says, for
 * the subset the shim claims. Built only where the shim is (-Dio_backend=kqueue on Linux):
 * the kqueue backend's tests are only as good as the shim is faithful. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <string.h>
#include <sys/event.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const struct timespec zero = {0, 0};

static int change(int kq, uintptr_t ident, short filter, unsigned short flags, unsigned fflags,
                  void *udata)
{
    struct kevent kev;
    EV_SET(&kev, ident, filter, flags, fflags, 0, udata);
    return kevent(kq, &kev, 1, NULL, 0, NULL);
}

static int wait_one(int kq, struct kevent *out, const struct timespec *ts)
{
    return kevent(kq, NULL, 0, out, 1, ts);
}

Test(kqueue_shim, a_change_that_fails_without_room_fails_the_call)
{
    int kq = kqueue();
    int p[2];
    cr_assert_eq(pipe(p), 0);
    cr_assert_eq(change(kq, (uintptr_t)p[0], EVFILT_READ, EV_DELETE, 0, NULL), -1);
    cr_assert_eq(errno, ENOENT);
    cr_assert_eq(change(kq, (uintptr_t)p[0], EVFILT_READ, EV_ADD, 0, NULL), 0);
    cr_assert_eq(change(kq, (uintptr_t)p[0], EVFILT_READ, EV_DELETE, 0, NULL), 0);
    cr_assert_eq(change(kq, (uintptr_t)p[0], EVFILT_READ, EV_DELETE, 0, NULL), -1);
    cr_assert_eq(errno, ENOENT);
    cr_assert_eq(change(kq, 9999, EVFILT_READ, EV_ADD, 0, NULL), -1);
    cr_assert_eq(errno, EBADF);
    cr_assert_eq(change(kq, (uintptr_t)p[0], 42, EV_ADD, 0, NULL), -1);
    cr_assert_eq(errno, EINVAL);
    close(p[0]);
    close(p[1]);
    close(kq);
}

Test(kqueue_shim, a_failed_change_comes_back_as_ev_error_without_waiting)
{
    int kq = kqueue();
    int p[2];
    cr_assert_eq(pipe(p), 0);
    int tag;
    struct kevent ch[2], ev[4];
    EV_SET(&ch[0], 9999, EVFILT_READ, EV_ADD, 0, 0, &tag);
    EV_SET(&ch[1], (uintptr_t)p[0], EVFILT_READ, EV_ADD, 0, 0, NULL);
    /* timeout NULL: it would wait for ever, but an error entry returns at once */
    int n = kevent(kq, ch, 2, ev, 4, NULL);
    cr_assert_eq(n, 1);
    cr_assert(ev[0].flags & EV_ERROR);
    cr_assert_eq(ev[0].data, EBADF);
    cr_assert_eq(ev[0].ident, 9999);
    cr_assert_eq(ev[0].udata, &tag);
    /* the change after the failed one was applied */
    cr_assert_eq(write(p[1], "x", 1), 1);
    cr_assert_eq(wait_one(kq, ev, &zero), 1);
    cr_assert_eq(ev[0].ident, (uintptr_t)p[0]);
    close(p[0]);
    close(p[1]);
    close(kq);
}

Test(kqueue_shim, ev_receipt_returns_an_entry_for_every_change)
{
    int kq = kqueue();
    int p[2];
    cr_assert_eq(pipe(p), 0);
    struct kevent ch[2], ev[2];
    EV_SET(&ch[0], (uintptr_t)p[0], EVFILT_READ, EV_ADD | EV_RECEIPT, 0, 0, NULL);
    EV_SET(&ch[1], (uintptr_t)p[1], EVFILT_WRITE, EV_ADD | EV_RECEIPT, 0, 0, NULL);
    cr_assert_eq(kevent(kq, ch, 2, ev, 2, &zero), 2);
    for (int i = 0; i < 2; i++) {
        cr_assert(ev[i].flags & EV_ERROR);
        cr_assert_eq(ev[i].data, 0);
    }
    close(p[0]);
    close(p[1]);
    close(kq);
}

Test(kqueue_shim, nothing_ready_times_out_with_zero)
{
    int kq = kqueue();
    int p[2];
    cr_assert_eq(pipe(p), 0);
    cr_assert_eq(change(kq, (uintptr_t)p[0], EVFILT_READ, EV_ADD, 0, NULL), 0);
    struct kevent ev;
    struct timespec ts = {0, 30 * 1000000L};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cr_assert_eq(wait_one(kq, &ev, &ts), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    cr_assert_geq(ms, 29);
    close(p[0]);
    close(p[1]);
    close(kq);
}

Test(kqueue_shim, read_reports_the_bytes_available_then_eof_with_the_fin_and_data_unread)
{
    int kq = kqueue();
    int sv[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    int tag;
    cr_assert_eq(change(kq, (uintptr_t)sv[0], EVFILT_READ, EV_ADD, 0, &tag), 0);
    cr_assert_eq(write(sv[1], "hello", 5), 5);
    struct kevent ev;
    cr_assert_eq(wait_one(kq, &ev, &zero), 1);
    cr_assert_eq(ev.filter, EVFILT_READ);
    cr_assert_eq(ev.data, 5);
    cr_assert_eq(ev.udata, &tag);
    cr_assert_not(ev.flags & EV_EOF);
    cr_assert_eq(shutdown(sv[1], SHUT_WR), 0);
    cr_assert_eq(wait_one(kq, &ev, &zero), 1);
    cr_assert(ev.flags & EV_EOF);
    cr_assert_eq(ev.fflags, 0, "a FIN carries no error");
    cr_assert_eq(ev.data, 5, "the data is still there");
    close(sv[0]);
    close(sv[1]);
    close(kq);
}

Test(kqueue_shim, a_reset_sets_eof_with_an_error_and_leaves_the_error_to_the_read)
{
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(bind(l, (struct sockaddr *)&a, sizeof a), 0);
    cr_assert_eq(listen(l, 1), 0);
    socklen_t len = sizeof a;
    getsockname(l, (struct sockaddr *)&a, &len);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert_eq(connect(c, (struct sockaddr *)&a, sizeof a), 0);
    int s = accept(l, NULL, NULL);
    struct linger lg = {1, 0};
    setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(c);
    usleep(10000);
    int kq = kqueue();
    cr_assert_eq(change(kq, (uintptr_t)s, EVFILT_READ, EV_ADD, 0, NULL), 0);
    struct kevent ev;
    cr_assert_eq(wait_one(kq, &ev, &zero), 1);
    cr_assert(ev.flags & EV_EOF);
    cr_assert_neq(ev.fflags, 0);
    char b;
    cr_assert_eq(read(s, &b, 1), -1);
    cr_assert_eq(errno, ECONNRESET);
    close(s);
    close(l);
    close(kq);
}

Test(kqueue_shim, a_disabled_filter_is_not_returned_until_enabled)
{
    int kq = kqueue();
    int p[2];
    cr_assert_eq(pipe(p), 0);
    cr_assert_eq(write(p[1], "x", 1), 1);
    cr_assert_eq(change(kq, (uintptr_t)p[0], EVFILT_READ, EV_ADD | EV_DISABLE, 0, NULL), 0);
    struct kevent ev;
    cr_assert_eq(wait_one(kq, &ev, &zero), 0);
    cr_assert_eq(change(kq, (uintptr_t)p[0], EVFILT_READ, EV_ENABLE, 0, NULL), 0);
    cr_assert_eq(wait_one(kq, &ev, &zero), 1);
    cr_assert_eq(change(kq, (uintptr_t)p[0], EVFILT_READ, EV_DISABLE, 0, NULL), 0);
    cr_assert_eq(wait_one(kq, &ev, &zero), 0);
    close(p[0]);
    close(p[1]);
    close(kq);
}

Test(kqueue_shim, level_triggered_repeats_ev_clear_reports_once_per_arrival)
{
    int kq = kqueue();
    int p[2], q[2];
    cr_assert_eq(pipe(p), 0);
    cr_assert_eq(pipe(q), 0);
    cr_assert_eq(change(kq, (uintptr_t)p[0], EVFILT_READ, EV_ADD, 0, NULL), 0);
    cr_assert_eq(change(kq, (uintptr_t)q[0], EVFILT_READ, EV_ADD | EV_CLEAR, 0, NULL), 0);
    cr_assert_eq(write(p[1], "x", 1), 1);
    cr_assert_eq(write(q[1], "x", 1), 1);
    struct kevent ev[4];
    cr_assert_eq(kevent(kq, NULL, 0, ev, 4, &zero), 2);
    cr_assert_eq(kevent(kq, NULL, 0, ev, 4, &zero), 1, "the level-triggered one only");
    cr_assert_eq(ev[0].ident, (uintptr_t)p[0]);
    cr_assert_eq(write(q[1], "y", 1), 1);
    cr_assert_eq(kevent(kq, NULL, 0, ev, 4, &zero), 2, "new data: the EV_CLEAR one again");
    close(p[0]);
    close(p[1]);
    close(q[0]);
    close(q[1]);
    close(kq);
}

Test(kqueue_shim, a_oneshot_event_is_deleted_once_returned)
{
    int kq = kqueue();
    int p[2];
    cr_assert_eq(pipe(p), 0);
    cr_assert_eq(write(p[1], "x", 1), 1);
    cr_assert_eq(change(kq, (uintptr_t)p[0], EVFILT_READ, EV_ADD | EV_ONESHOT, 0, NULL), 0);
    struct kevent ev;
    cr_assert_eq(wait_one(kq, &ev, &zero), 1);
    cr_assert(ev.flags & EV_ONESHOT);
    cr_assert_eq(wait_one(kq, &ev, &zero), 0);
    cr_assert_eq(change(kq, (uintptr_t)p[0], EVFILT_READ, EV_DELETE, 0, NULL), -1);
    cr_assert_eq(errno, ENOENT);
    close(p[0]);
    close(p[1]);
    close(kq);
}

Test(kqueue_shim, write_reports_eof_when_the_reader_is_gone)
{
    int kq = kqueue();
    int p[2];
    cr_assert_eq(pipe(p), 0);
    cr_assert_eq(change(kq, (uintptr_t)p[1], EVFILT_WRITE, EV_ADD, 0, NULL), 0);
    struct kevent ev;
    cr_assert_eq(wait_one(kq, &ev, &zero), 1);
    cr_assert_eq(ev.filter, EVFILT_WRITE);
    cr_assert_not(ev.flags & EV_EOF);
    close(p[0]);
    cr_assert_eq(wait_one(kq, &ev, &zero), 1);
    cr_assert(ev.flags & EV_EOF);
    close(p[1]);
    close(kq);
}

Test(kqueue_shim, close_removes_the_knotes_even_when_the_number_is_reused)
{
    int kq = kqueue();
    int p[2];
    cr_assert_eq(pipe(p), 0);
    int old_tag, new_tag;
    cr_assert_eq(change(kq, (uintptr_t)p[0], EVFILT_READ, EV_ADD, 0, &old_tag), 0);
    int fd = p[0];
    close(p[0]);
    close(p[1]);
    /* a new, readable pipe at the same number, never registered */
    int q[2];
    cr_assert_eq(pipe(q), 0);
    if (q[0] != fd) {
        cr_assert_eq(dup2(q[0], fd), fd);
        close(q[0]);
    }
    cr_assert_eq(write(q[1], "x", 1), 1);
    struct kevent ev;
    cr_assert_eq(wait_one(kq, &ev, &zero), 0, "the old knote went with the close");
    cr_assert_eq(change(kq, (uintptr_t)fd, EVFILT_READ, EV_DELETE, 0, NULL), -1);
    cr_assert_eq(errno, ENOENT);
    cr_assert_eq(change(kq, (uintptr_t)fd, EVFILT_READ, EV_ADD, 0, &new_tag), 0);
    cr_assert_eq(wait_one(kq, &ev, &zero), 1);
    cr_assert_eq(ev.udata, &new_tag);
    close(fd);
    close(q[1]);
    close(kq);
}

struct trigger {
    int kq;
};

static void *trigger_later(void *arg)
{
    struct trigger *t = arg;
    usleep(30000);
    struct kevent kev;
    EV_SET(&kev, 7, EVFILT_USER, 0, NOTE_TRIGGER | NOTE_FFCOPY | 0x5, 0, NULL);
    kevent(t->kq, &kev, 1, NULL, 0, NULL);
    return NULL;
}

Test(kqueue_shim, a_user_event_triggered_from_another_thread_wakes_the_wait)
{
    int kq = kqueue();
    int tag;
    cr_assert_eq(change(kq, 7, EVFILT_USER, EV_ADD | EV_CLEAR, 0, &tag), 0);
    struct kevent ev;
    cr_assert_eq(wait_one(kq, &ev, &zero), 0, "not triggered yet");
    struct trigger t = {kq};
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, trigger_later, &t), 0);
    struct timespec ts = {5, 0};
    cr_assert_eq(wait_one(kq, &ev, &ts), 1);
    pthread_join(th, NULL);
    cr_assert_eq(ev.filter, EVFILT_USER);
    cr_assert_eq(ev.ident, 7);
    cr_assert_eq(ev.udata, &tag);
    cr_assert_eq(ev.fflags & NOTE_FFLAGSMASK, 0x5);
    cr_assert_eq(wait_one(kq, &ev, &zero), 0, "EV_CLEAR: reported once");
    cr_assert_eq(change(kq, 7, EVFILT_USER, EV_DELETE, 0, NULL), 0);
    cr_assert_eq(change(kq, 7, EVFILT_USER, 0, NOTE_TRIGGER, NULL), -1);
    cr_assert_eq(errno, ENOENT);
    close(kq);
}

Test(kqueue_shim, a_user_event_without_ev_clear_stays_triggered)
{
    int kq = kqueue();
    cr_assert_eq(change(kq, 1, EVFILT_USER, EV_ADD, 0, NULL), 0);
    cr_assert_eq(change(kq, 1, EVFILT_USER, 0, NOTE_TRIGGER | NOTE_FFOR | 0x2, NULL), 0);
    cr_assert_eq(change(kq, 1, EVFILT_USER, 0, NOTE_FFOR | 0x1, NULL), 0);
    struct kevent ev;
    cr_assert_eq(wait_one(kq, &ev, &zero), 1);
    cr_assert_eq(ev.fflags & NOTE_FFLAGSMASK, 0x3);
    cr_assert_eq(wait_one(kq, &ev, &zero), 1);
    cr_assert_eq(change(kq, 1, EVFILT_USER, EV_DISABLE, 0, NULL), 0);
    cr_assert_eq(wait_one(kq, &ev, &zero), 0);
    close(kq);
}
