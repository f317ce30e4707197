/* The filter: oldkernel_filter.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "oldkernel_filter.h"

/* The architecture the filter is written for: a syscall made through another ABI (an
 * i386 binary on x86_64, x32) has other numbers, and is let through untouched. */
#if defined(__x86_64__) && !defined(__ILP32__)
#define OLDKERNEL_ARCH AUDIT_ARCH_X86_64
#elif defined(__i386__)
#define OLDKERNEL_ARCH AUDIT_ARCH_I386
#elif defined(__aarch64__)
#define OLDKERNEL_ARCH AUDIT_ARCH_AARCH64
#elif defined(__arm__) && defined(__ARMEL__)
#define OLDKERNEL_ARCH AUDIT_ARCH_ARM
#elif defined(__riscv) && __riscv_xlen == 64
#define OLDKERNEL_ARCH AUDIT_ARCH_RISCV64
#else
#error "oldkernel: add this architecture's AUDIT_ARCH_ value"
#endif

enum { MAX_INSNS = 64 };

struct program {
    struct sock_filter insn[MAX_INSNS];
    unsigned short len;
};

static void emit(struct program *p, struct sock_filter f)
{
    if (p->len < MAX_INSNS)
        p->insn[p->len++] = f;
}

#define ARG_LOW(n) (offsetof(struct seccomp_data, args) + (n) * sizeof(__u64))

/* if nr == syscall: return errno err (two instructions) */
static void fail_call(struct program *p, long nr, int err)
{
    emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (__u32)nr, 0, 1));
    emit(p, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (__u32)err));
}

/* if nr == syscall and its type argument (args[1], whose low 32 bits are the int the
 * caller passed) has SOCK_NONBLOCK or SOCK_CLOEXEC: EINVAL; the accumulator holds nr
 * again afterwards (five instructions). */
static void fail_flagged_type(struct program *p, long nr)
{
    emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (__u32)nr, 0, 4));
    /* args are 64-bit; on little-endian the low half comes first */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    emit(p, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LOW(1)));
#else
    emit(p, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LOW(1) + 4));
#endif
    emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K,
                                         (__u32)(SOCK_NONBLOCK | SOCK_CLOEXEC), 0, 1));
    emit(p, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EINVAL));
    emit(p,
         (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)));
}

static void fail_accepts(struct program *p, int err)
{
    fail_call(p, SYS_accept4, err);
#ifdef SYS_accept
    fail_call(p, SYS_accept, err);
#endif
}

int oldkernel_install(unsigned what)
{
    struct program p = {.len = 0};
    emit(&p, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                          offsetof(struct seccomp_data, arch)));
    emit(&p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, OLDKERNEL_ARCH, 1, 0));
    emit(&p, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
    emit(&p,
         (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)));
#ifdef __X32_SYSCALL_BIT
    /* x32 calls come with the x86_64 arch and this bit set: another numbering */
    emit(&p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, __X32_SYSCALL_BIT, 0, 1));
    emit(&p, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
#endif
    if (what & OLDKERNEL_NO_ACCEPT)
        fail_accepts(&p, ENOSYS);
    if (what & OLDKERNEL_ACCEPT_ENOMEM)
        fail_accepts(&p, ENOMEM);
    if (what & OLDKERNEL_NO_ACCEPT4)
        fail_call(&p, SYS_accept4, ENOSYS);
    if (what & OLDKERNEL_ACCEPT4_EINVAL)
        fail_call(&p, SYS_accept4, EINVAL);
    if (what & OLDKERNEL_ACCEPT4_EPERM)
        fail_call(&p, SYS_accept4, EPERM);
    if (what & OLDKERNEL_NO_EPOLL_CREATE1)
        fail_call(&p, SYS_epoll_create1, ENOSYS);
    if (what & OLDKERNEL_NO_EVENTFD) {
        fail_call(&p, SYS_eventfd2, ENOSYS);
#ifdef SYS_eventfd
        fail_call(&p, SYS_eventfd, ENOSYS);
#endif
    }
    if (what & OLDKERNEL_NO_SOCK_FLAGS) {
        fail_flagged_type(&p, SYS_socket);
        fail_flagged_type(&p, SYS_socketpair);
    }
    emit(&p, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
    if (p.len >= MAX_INSNS)
        return -E2BIG;
    struct sock_fprog prog = {.len = p.len, .filter = p.insn};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return -errno;
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0)
        return -errno;
    return 0;
}

unsigned oldkernel_option(const char *opt)
{
    static const struct {
        const char *name;
        unsigned bit;
    } options[] = {
        {"--no-accept4", OLDKERNEL_NO_ACCEPT4},
        {"--no-sock-flags", OLDKERNEL_NO_SOCK_FLAGS},
        {"--no-epoll-create1", OLDKERNEL_NO_EPOLL_CREATE1},
        {"--no-eventfd", OLDKERNEL_NO_EVENTFD},
        {"--all", OLDKERNEL_ALL},
    };
    for (size_t i = 0; i < sizeof options / sizeof options[0]; i++)
        if (strcmp(opt, options[i].name) == 0)
            return options[i].bit;
    return 0;
}
