/* eddy: compile-time switches, for firmware and other small systems.
 *
 * Each switch drops one feature from the library. Define it (to anything, or nothing) on
 * the command line of EVERY file that includes eddy's headers or compiles eddy's sources,
 * the library's and the program's alike, so that headers and objects agree:
 *     cc -std=c11 -Os -DEDDY_MINIMAL -Iinclude -Isrc <every .c under src/> app.c -o app
 * meson does that for you: `-Dminimal=true` (or one `-Dno_*` option per switch) passes the
 * macros to the library and to its users, through dependency('eddy') and eddy.pc.
 *
 * A switched-off call stays declared and linkable: it returns -ENOSYS (or what its header
 * comment says under the switch), so a program written for the full build still links
 * and can test for the feature at run time. Nothing of a switch costs the full build.
 */
/* clang-format off */
/*
 *  macro                     what goes                                what is left
 *  ------------------------  ---------------------------------------  ----------------------------
 *  EDDY_NO_UNIX              UNIX-domain sockets: listen_path,        TCP; listen_fd/socket_new
 *                            connect_path, options.path, "unix"       on a TCP fd; pipes and ttys
 *                            -> -ENOSYS (NULL for the constructors)   wrapped by fd still work
 *                                                                     (unless EDDY_NO_PIPE_TTY)
 *  EDDY_NO_FD_PASSING        SCM_RIGHTS: eddy_socket_write_fd ->      UNIX sockets without
 *                            'error' -ENOSYS; no 'fd' events          descriptors
 *  EDDY_NO_ENCODINGS         StringDecoder and Buffer.from: every     bytes ('data' as bytes,
 *                            call taking an encoding other than       write_string with
 *                            EDDY_ENC_BUFFER -> -ENOSYS               EDDY_ENC_BUFFER/UTF8 as is)
 *  EDDY_NO_ISIP              eddy_is_ip/_ipv4/_ipv6 -> -ENOSYS/false  the library's own literals
 *                                                                     (same grammar, isip.c)
 *  EDDY_NO_POST              eddy_loop_post -> -ENOSYS; a loop has    (the resolver's own wakeup,
 *                            no wakeup eventfd                        when the resolver is built)
 *  EDDY_NO_POLL_BACKEND      backend_poll.c: choosing it (or a        epoll, kqueue
 *                            system whose default it is) is an
 *                            #error
 *  EDDY_NO_RESOLVER          getaddrinfo and its worker threads (no   IP literals; "localhost" is
 *                            thread is ever made): a name is          127.0.0.1; user resolvers
 *                            ENOTFOUND ("getaddrinfo"), as Node       (eddy_connect_options.lookup,
 *                            reports a name that does not resolve;    unless EDDY_NO_USER_RESOLVER);
 *                            interface names in zone ids: a named     numeric zones ("fe80::1%2")
 *                            zone ("%eth0") is unknown, an address's
 *                            zone is printed as its number
 *  EDDY_NO_DIAGNOSTICS_TEXT  eddy_strerror's message table:           eddy_err_name's names; the
 *                            eddy_strerror returns the name; the      warning's event name and
 *                            max-listeners warning's line is fixed    count (eddy_diagnostic)
 *  EDDY_NO_USER_RESOLVER     user resolvers: eddy_connect_options.    getaddrinfo (unless
 *                            lookup set -> -ENOSYS (eddy_connect:     EDDY_NO_RESOLVER); with
 *                            NULL), eddy_lookup_done -> -ENOSYS;      both switches a name has
 *                            with EDDY_NO_RESOLVER: no happy          one address at most
 *                            eyeballs (nothing to try a second time)  ("localhost")
 *  EDDY_NO_ONREAD            Node's onread (reads into the caller's   'data' events
 *                            buffer): eddy_socket_set_onread ->
 *                            -ENOSYS, connect with opts->onread too
 *                            (eddy_connect: NULL)
 *  EDDY_NO_PIPE_TTY          pipes and ttys wrapped as sockets        sockets wrapped by fd
 *                            (eddy_socket_new with such an fd ->      (TCP, and UNIX ones read
 *                            NULL); no fstat: eddy_server_listen_fd   and written as TCP's)
 *                            on a regular file is 'error' ENOTSOCK
 *  EDDY_NO_CORK              eddy_socket_cork/uncork -> -ENOSYS       writes held within one
 *                                                                     callback still leave in
 *                                                                     one sendmsg
 *  EDDY_NO_USER_EVENTS       emitter events with names of one's own   the library's events ('data',
 *                            (any name that is not a built-in one):   'end', 'close', 'error'...,
 *                            eddy_on/once/prepend* and eddy_emit ->   'newListener' and
 *                            -ENOSYS; eddy_off, eddy_listener_count,  'removeListener')
 *                            eddy_remove_all_listeners: 0
 *  EDDY_NO_SIGNALS           signal watchers: eddy_signal_start ->    timers and I/O; the program's
 *                            NULL (_ex: *err -ENOSYS); eddy installs  own sigaction handlers (a
 *                            no handler, keeps no registry, calls     signal ends the loop's wait
 *                            no sigaction/pthread_sigmask             early, nothing else)
 *  EDDY_NO_CONNECT           the client side: eddy_connect,           servers and the sockets they
 *                            eddy_create_connection*, eddy_socket_    accept; sockets wrapped from
 *                            connect* -> NULL / -ENOSYS; no           a connected fd (eddy_socket_
 *                            connect(2), lookups, happy eyeballs,     new)
 *                            reconnect from 'close'; implies
 *                            EDDY_NO_USER_RESOLVER
 *  EDDY_MINIMAL              all of the above                         a TCP server (and sockets
 *                                                                     wrapped by fd)
 */
/* clang-format on */
#ifndef EDDY_CONFIG_H
#define EDDY_CONFIG_H

#ifdef EDDY_MINIMAL
#ifndef EDDY_NO_UNIX
#define EDDY_NO_UNIX 1
#endif
#ifndef EDDY_NO_FD_PASSING
#define EDDY_NO_FD_PASSING 1
#endif
#ifndef EDDY_NO_ENCODINGS
#define EDDY_NO_ENCODINGS 1
#endif
#ifndef EDDY_NO_ISIP
#define EDDY_NO_ISIP 1
#endif
#ifndef EDDY_NO_POST
#define EDDY_NO_POST 1
#endif
#ifndef EDDY_NO_POLL_BACKEND
#define EDDY_NO_POLL_BACKEND 1
#endif
#ifndef EDDY_NO_RESOLVER
#define EDDY_NO_RESOLVER 1
#endif
#ifndef EDDY_NO_DIAGNOSTICS_TEXT
#define EDDY_NO_DIAGNOSTICS_TEXT 1
#endif
#ifndef EDDY_NO_USER_RESOLVER
#define EDDY_NO_USER_RESOLVER 1
#endif
#ifndef EDDY_NO_ONREAD
#define EDDY_NO_ONREAD 1
#endif
#ifndef EDDY_NO_PIPE_TTY
#define EDDY_NO_PIPE_TTY 1
#endif
#ifndef EDDY_NO_CORK
#define EDDY_NO_CORK 1
#endif
#ifndef EDDY_NO_USER_EVENTS
#define EDDY_NO_USER_EVENTS 1
#endif
#ifndef EDDY_NO_SIGNALS
#define EDDY_NO_SIGNALS 1
#endif
#ifndef EDDY_NO_CONNECT
#define EDDY_NO_CONNECT 1
#endif
#endif

/* User resolvers are asked by a connect only. */
#if defined(EDDY_NO_CONNECT) && !defined(EDDY_NO_USER_RESOLVER)
#define EDDY_NO_USER_RESOLVER 1
#endif

/* Descriptors travel over UNIX sockets only. */
#if defined(EDDY_NO_UNIX) && !defined(EDDY_NO_FD_PASSING)
#define EDDY_NO_FD_PASSING 1
#endif

#endif
