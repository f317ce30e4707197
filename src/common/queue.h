/* Intrusive circular doubly-linked lists: the node lives inside the object, so queueing
 * never allocates and removal is O(1). An empty list is a head that points to itself. */
#ifndef EDDY_COMMON_QUEUE_H
#define EDDY_COMMON_QUEUE_H

#include <stddef.h>

typedef struct eddy__queue {
    struct eddy__queue *next;
    struct eddy__queue *prev;
} eddy__queue;

#define EDDY__CONTAINER_OF(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

static inline void eddy__queue_init(eddy__queue *q)
{
    q->next = q;
    q->prev = q;
}

static inline int eddy__queue_empty(const eddy__queue *q)
{
    return q->next == q;
}

static inline void eddy__queue_insert_tail(eddy__queue *head, eddy__queue *n)
{
    n->next = head;
    n->prev = head->prev;
    head->prev->next = n;
    head->prev = n;
}

static inline void eddy__queue_insert_head(eddy__queue *head, eddy__queue *n)
{
    n->next = head->next;
    n->prev = head;
    head->next->prev = n;
    head->next = n;
}

/* Unlinks n and leaves it as an empty list, so removing twice is harmless. */
static inline void eddy__queue_remove(eddy__queue *n)
{
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->next = n;
    n->prev = n;
}

/* Moves every node of from to the tail of to; from becomes empty. */
static inline void eddy__queue_move(eddy__queue *from, eddy__queue *to)
{
    if (eddy__queue_empty(from))
        return;
    from->next->prev = to->prev;
    to->prev->next = from->next;
    from->prev->next = to;
    to->prev = from->prev;
    eddy__queue_init(from);
}

#endif
