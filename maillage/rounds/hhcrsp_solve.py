"""A solver for the hhcrsp benchmark (home health care routing and scheduling, Mankowska et al.
2014 instances): simulated annealing over the caregivers' ordered lists of service visits.

A solution is, for each caregiver, the ordered list of the visits (patient, service) she makes.
Its schedule is not searched: every visit starts as early as possible, the least fixed point of

    start(v) >= earliest(v),  start(v) >= end(previous visit) + travel,
    start(second) >= start(first) + dmin,  start(first) >= start(second) - dmax

for the two halves of a double service (simultaneous: dmin = dmax = 0). Tardiness only grows
with the starts and travel does not depend on them, so this earliest schedule is the best one for
those lists. It is found by sweeping the routes until nothing moves; a cycle of waits (one
caregiver does A then B, the other B's half then A's, both synchronised) never settles, and such
lists are infeasible.

The search: a greedy construction (patients by earliest start, each appended to the caregivers
that make it cheapest), then simulated annealing with moves drawn around each visit's nearest
visits (in place and time): relocate a visit, swap two, move both halves of a double service,
exchange two routes' tails, move a short chain, and a ruin-and-recreate of a few related visits
reinserted at their best places. Each move reschedules only the visits whose start may change
(the rest of each changed route, and onwards through the other half of any double service met);
the loop is compiled with numba, cached on disk. The temperature falls geometrically with the
time (or iterations) used.
"""

from __future__ import annotations

import math
import time

import numpy as np
from numba import njit

from .hhcrsp import Instance

INF = 1e18
# Tuned on the benchmark (10 s per instance): neighbours are the 50 visits nearest in travel
# plus 0.2 × the gap between earliest starts; the temperature falls from 1 to 0.002 times the
# initial cost per visit; the moves' weights: relocate, swap, both halves of a double, tails
# exchange, chain, ruin and recreate; a relocated visit goes before or after its neighbour by
# their earliest starts 70 % of the time, else at random.
NEIGHBOURS = 50
TIME_WEIGHT = 0.2
T_START, T_END = 1.0, 0.002
WEIGHTS = (30.0, 30.0, 5.0, 20.0, 10.0, 0.3)
SIDE = 0.7


# ------------------------------------------------------------------ schedule and cost


@njit(cache=True)
def _schedule(routes, rlen, loc, dur, early, kind, partner, dmin, dmax, dist, start, limit):
    """Earliest starts into ``start``; False when the lists have a cycle of waits."""
    nv = loc.shape[0]
    for v in range(nv):
        start[v] = early[v]
    passes = 0
    changed = True
    while changed:
        changed = False
        passes += 1
        if passes > nv + 2:
            return False
        for k in range(rlen.shape[0]):
            here = 0
            t = 0.0
            for i in range(rlen[k]):
                v = routes[k, i]
                s = t + dist[here, loc[v]]
                if s < start[v]:
                    s = start[v]
                if kind[v] == 2:
                    b = start[partner[v]] + dmin[v]
                    if s < b:
                        s = b
                elif kind[v] == 1:
                    b = start[partner[v]] - dmax[v]
                    if s < b:
                        s = b
                if s > start[v] + 1e-9:
                    start[v] = s
                    changed = True
                    if s > limit:
                        return False
                t = s + dur[v]
                here = loc[v]
    return True


@njit(cache=True)
def _cost(routes, rlen, loc, dur, early, due, kind, partner, dmin, dmax, dist, start, limit):
    """travel + total tardiness + maximum tardiness (three times the objective), INF if none."""
    if not _schedule(routes, rlen, loc, dur, early, kind, partner, dmin, dmax, dist, start,
                     limit):
        return INF
    travel = 0.0
    for k in range(rlen.shape[0]):
        here = 0
        for i in range(rlen[k]):
            v = routes[k, i]
            travel += dist[here, loc[v]]
            here = loc[v]
        travel += dist[here, 0]
    total = 0.0
    worst = 0.0
    for v in range(loc.shape[0]):
        late = start[v] - due[v]
        if late > 0:
            total += late
            if late > worst:
                worst = late
    return travel + total + worst


# ------------------------------------------------------------------ list edits


@njit(cache=True)
def _seed(seed):
    np.random.seed(seed)


@njit(cache=True)
def _side(v, w, early, side):
    """1 to go after w, 0 before: mostly by the earliest starts, else at random."""
    if np.random.random() < side:
        if early[v] > early[w]:
            return 1
        if early[v] < early[w]:
            return 0
    return np.random.randint(2)


@njit(cache=True)
def _find(routes, rlen, k, v):
    for i in range(rlen[k]):
        if routes[k, i] == v:
            return i
    return -1


@njit(cache=True)
def _remove(routes, rlen, k, v):
    i = _find(routes, rlen, k, v)
    for j in range(i, rlen[k] - 1):
        routes[k, j] = routes[k, j + 1]
    rlen[k] -= 1


@njit(cache=True)
def _insert(routes, rlen, k, pos, v):
    for j in range(rlen[k], pos, -1):
        routes[k, j] = routes[k, j - 1]
    routes[k, pos] = v
    rlen[k] += 1


@njit(cache=True)
def _backup(routes, rlen, ks, nk, saved, saved_len, k):
    for j in range(nk):
        if ks[j] == k:
            return nk
    ks[nk] = k
    saved_len[nk] = rlen[k]
    for i in range(rlen[k]):
        saved[nk, i] = routes[k, i]
    return nk + 1


@njit(cache=True)
def _restore(routes, rlen, where, ks, nk, saved, saved_len):
    for j in range(nk):
        k = ks[j]
        rlen[k] = saved_len[j]
        for i in range(rlen[k]):
            routes[k, i] = saved[j, i]
            where[saved[j, i]] = k


@njit(cache=True)
def _partners_apart(routes, rlen, where, partner, ks, nk):
    """Refresh ``where`` for the changed routes; False if a double service sits on one route."""
    for j in range(nk):
        k = ks[j]
        for i in range(rlen[k]):
            where[routes[k, i]] = k
    for j in range(nk):
        k = ks[j]
        for i in range(rlen[k]):
            v = routes[k, i]
            if partner[v] >= 0 and where[partner[v]] == k:
                return False
    return True


# ------------------------------------------------------------------ construction


@njit(cache=True)
def _construct(order, routes, rlen, where, can, loc, dur, early, due, kind, partner, dmin, dmax,
               dist, start, limit):
    """Append visits (a double's halves together) in the given order, each pair of ends chosen
    to keep travel plus tardiness lowest."""
    nk = rlen.shape[0]
    endt = np.zeros(nk)
    last = np.zeros(nk, dtype=np.int64)
    for idx in range(order.shape[0]):
        v = order[idx]
        if kind[v] == 0:
            bk = -1
            bc = INF
            for k in range(nk):
                if not can[k, v]:
                    continue
                s = max(endt[k] + dist[last[k], loc[v]], early[v])
                c = dist[last[k], loc[v]] + 2.0 * max(0.0, s - due[v]) + 0.05 * s
                if c < bc:
                    bc = c
                    bk = k
            s = max(endt[bk] + dist[last[bk], loc[v]], early[v])
            routes[bk, rlen[bk]] = v
            rlen[bk] += 1
            where[v] = bk
            endt[bk] = s + dur[v]
            last[bk] = loc[v]
        else:
            a = v if kind[v] == 1 else partner[v]
            b = partner[a]
            bc = INF
            ba = -1
            bb = -1
            bsa = 0.0
            bsb = 0.0
            for ka in range(nk):
                if not can[ka, a]:
                    continue
                sa0 = max(endt[ka] + dist[last[ka], loc[a]], early[a])
                for kb in range(nk):
                    if kb == ka or not can[kb, b]:
                        continue
                    sb = max(endt[kb] + dist[last[kb], loc[b]], early[b])
                    sa = sa0
                    if sb < sa + dmin[b]:
                        sb = sa + dmin[b]
                    if sa < sb - dmax[b]:
                        sa = sb - dmax[b]
                    c = dist[last[ka], loc[a]] + dist[last[kb], loc[b]] + \
                        2.0 * (max(0.0, sa - due[a]) + max(0.0, sb - due[b])) + 0.05 * (sa + sb)
                    if c < bc:
                        bc = c
                        ba = ka
                        bb = kb
                        bsa = sa
                        bsb = sb
            routes[ba, rlen[ba]] = a
            rlen[ba] += 1
            where[a] = ba
            endt[ba] = bsa + dur[a]
            last[ba] = loc[a]
            routes[bb, rlen[bb]] = b
            rlen[bb] += 1
            where[b] = bb
            endt[bb] = bsb + dur[b]
            last[bb] = loc[b]
    return _cost(routes, rlen, loc, dur, early, due, kind, partner, dmin, dmax, dist, start,
                 limit)


# ------------------------------------------------------------------ annealing


@njit(cache=True)
def _route_travel(routes, rlen, k, loc, dist):
    here = 0
    travel = 0.0
    for i in range(rlen[k]):
        v = routes[k, i]
        travel += dist[here, loc[v]]
        here = loc[v]
    return travel + dist[here, 0]


@njit(cache=True)
def _evaluate(routes, rlen, where, ks, nk_, saved, saved_len, rtravel, newtravel, loc, dur,
              early, due, kind, partner, dmin, dmax, dist, start, trial, mark, stack, touched,
              limit):
    """The cost after a move that changed the routes ks (their former lists in ``saved``),
    ``start`` holding the schedule before it: only the visits whose start may change (after the
    first change of each route, and through the other half of a double service onwards) are
    rescheduled, into ``trial``. ``where`` must be up to date; INF for a cycle of waits."""
    nv = loc.shape[0]
    big = routes.shape[1] + 1
    for v in range(nv):
        trial[v] = start[v]
    ntouched = 0
    nstack = 0
    for j in range(nk_):
        k = ks[j]
        newtravel[j] = _route_travel(routes, rlen, k, loc, dist)
        p = 0
        m = min(rlen[k], saved_len[j])
        while p < m and routes[k, p] == saved[j, p]:
            p += 1
        if p >= rlen[k]:
            continue
        if p < mark[k]:
            if mark[k] == big:
                touched[ntouched] = k
                ntouched += 1
            mark[k] = p
            stack[nstack] = k
            nstack += 1
    while nstack > 0:
        nstack -= 1
        k = stack[nstack]
        for i in range(mark[k], rlen[k]):
            u = partner[routes[k, i]]
            if u >= 0:
                ku = where[u]
                if ku >= 0:
                    pu = _find(routes, rlen, ku, u)
                    if pu < mark[ku]:
                        if mark[ku] == big:
                            touched[ntouched] = ku
                            ntouched += 1
                        mark[ku] = pu
                        stack[nstack] = ku
                        nstack += 1
    count = 0
    for j in range(ntouched):
        k = touched[j]
        for i in range(mark[k], rlen[k]):
            trial[routes[k, i]] = early[routes[k, i]]
            count += 1
    ok = True
    passes = 0
    changed = True
    while changed and ok:
        changed = False
        passes += 1
        if passes > count + 2:
            ok = False
            break
        for j in range(ntouched):
            k = touched[j]
            m0 = mark[k]
            if m0 == 0:
                here = 0
                t = 0.0
            else:
                prev = routes[k, m0 - 1]
                here = loc[prev]
                t = trial[prev] + dur[prev]
            for i in range(m0, rlen[k]):
                v = routes[k, i]
                s = t + dist[here, loc[v]]
                if s < trial[v]:
                    s = trial[v]
                if kind[v] == 2:
                    b = trial[partner[v]] + dmin[v]
                    if s < b:
                        s = b
                elif kind[v] == 1:
                    b = trial[partner[v]] - dmax[v]
                    if s < b:
                        s = b
                if s > trial[v] + 1e-9:
                    trial[v] = s
                    changed = True
                    if s > limit:
                        ok = False
                        break
                t = s + dur[v]
                here = loc[v]
            if not ok:
                break
    for j in range(ntouched):
        mark[touched[j]] = big
    if not ok:
        return INF
    travel = 0.0
    for k in range(rlen.shape[0]):
        travel += rtravel[k]
    for j in range(nk_):
        travel += newtravel[j] - rtravel[ks[j]]
    total = 0.0
    worst = 0.0
    for v in range(nv):
        late = trial[v] - due[v]
        if late > 0:
            total += late
            if late > worst:
                worst = late
    return travel + total + worst


@njit(cache=True)
def _try(v, k, pos, commit, routes, rlen, where, rtravel, loc, dur, early, due, kind, partner,
         dmin, dmax, dist, start, trial, mark, stack, touched, limit, ks1, saved1, saved_len1,
         newtravel1):
    """The cost with v inserted at (k, pos); kept (and ``start`` updated) if ``commit``."""
    ks1[0] = k
    saved_len1[0] = rlen[k]
    for i in range(rlen[k]):
        saved1[0, i] = routes[k, i]
    _insert(routes, rlen, k, pos, v)
    where[v] = k
    c = _evaluate(routes, rlen, where, ks1, 1, saved1, saved_len1, rtravel, newtravel1, loc,
                  dur, early, due, kind, partner, dmin, dmax, dist, start, trial, mark, stack,
                  touched, limit)
    if commit:
        for x in range(loc.shape[0]):
            start[x] = trial[x]
        rtravel[k] = newtravel1[0]
    else:
        for j in range(pos, rlen[k] - 1):
            routes[k, j] = routes[k, j + 1]
        rlen[k] -= 1
        where[v] = -1
    return c


@njit(cache=True)
def _best_insertion(v, routes, rlen, where, can, neigh, rtravel, loc, dur, early, due, kind,
                    partner, dmin, dmax, dist, start, trial, mark, stack, touched, limit, ks1,
                    saved1, saved_len1, newtravel1):
    """Insert v at its cheapest place beside one of its neighbours (or alone on an idle
    caregiver's route); returns the new cost."""
    nk = rlen.shape[0]
    best = INF
    best_k = -1
    best_pos = -1
    for x in range(neigh.shape[1] + nk):
        if x < neigh.shape[1]:
            w = neigh[v, x]
            k = where[w]
            if k < 0:
                continue
            i = _find(routes, rlen, k, w)
            last = i + 2
        else:
            k = x - neigh.shape[1]
            if rlen[k] > 0:
                continue
            i = 0
            last = 1
        if not can[k, v] or (partner[v] >= 0 and where[partner[v]] == k):
            continue
        for pos in range(i, last):
            c = _try(v, k, pos, False, routes, rlen, where, rtravel, loc, dur, early, due, kind,
                     partner, dmin, dmax, dist, start, trial, mark, stack, touched, limit, ks1,
                     saved1, saved_len1, newtravel1)
            if c < best:
                best = c
                best_k = k
                best_pos = pos
    if best_k < 0:  # no neighbour placed: anywhere
        for k in range(nk):
            if not can[k, v] or (partner[v] >= 0 and where[partner[v]] == k):
                continue
            for pos in range(rlen[k] + 1):
                c = _try(v, k, pos, False, routes, rlen, where, rtravel, loc, dur, early, due,
                         kind, partner, dmin, dmax, dist, start, trial, mark, stack, touched,
                         limit, ks1, saved1, saved_len1, newtravel1)
                if c < best:
                    best = c
                    best_k = k
                    best_pos = pos
    if best_k >= 0:
        best = _try(v, best_k, best_pos, True, routes, rlen, where, rtravel, loc, dur, early,
                    due, kind, partner, dmin, dmax, dist, start, trial, mark, stack, touched,
                    limit, ks1, saved1, saved_len1, newtravel1)
    return best


@njit(cache=True)
def _anneal(iterations, t_from, t_to, cur, routes, rlen, where, best_routes, best_rlen,
            best_cost, can, neigh, loc, dur, early, due, kind, partner, dmin, dmax, dist, start,
            limit, weights, side):
    """``iterations`` moves from temperature t_from to t_to; returns (current, best) costs."""
    nv = loc.shape[0]
    nn = neigh.shape[1]
    nk = rlen.shape[0]
    saved = np.empty((4, routes.shape[1]), dtype=np.int64)
    saved_len = np.empty(4, dtype=np.int64)
    ks = np.empty(4, dtype=np.int64)
    removed = np.empty(nv, dtype=np.int64)
    rtravel = np.empty(nk)
    newtravel = np.empty(4)
    trial = np.empty(nv)
    mark = np.full(nk, routes.shape[1] + 1, dtype=np.int64)
    stack = np.empty(nv + 4 * nk + 8, dtype=np.int64)
    touched = np.empty(nk, dtype=np.int64)
    ks1 = np.empty(1, dtype=np.int64)
    saved1 = np.empty((1, routes.shape[1]), dtype=np.int64)
    saved_len1 = np.empty(1, dtype=np.int64)
    newtravel1 = np.empty(1)
    for k in range(nk):
        rtravel[k] = _route_travel(routes, rlen, k, loc, dist)
    _schedule(routes, rlen, loc, dur, early, kind, partner, dmin, dmax, dist, start, limit)
    wsum = 0.0
    for j in range(weights.shape[0]):
        wsum += weights[j]
    ratio = t_to / t_from
    for it in range(iterations):
        temp = t_from * ratio ** (it / iterations)
        r = np.random.random() * wsum
        move = 0
        while move < weights.shape[0] - 1 and r >= weights[move]:
            r -= weights[move]
            move += 1
        v = np.random.randint(nv)
        nk_ = 0
        ok = True
        if move == 0:  # relocate v next to one of its neighbours
            w = neigh[v, np.random.randint(nn)]
            if loc[w] == loc[v]:  # only on tiny instances
                continue
            k = where[w]
            if not can[k, v] or (partner[v] >= 0 and where[partner[v]] == k):
                continue
            k0 = where[v]
            nk_ = _backup(routes, rlen, ks, nk_, saved, saved_len, k0)
            nk_ = _backup(routes, rlen, ks, nk_, saved, saved_len, k)
            _remove(routes, rlen, k0, v)
            pos = _find(routes, rlen, k, w) + _side(v, w, early, side)
            _insert(routes, rlen, k, pos, v)
            where[v] = k
        elif move == 1:  # swap v and a neighbour
            w = neigh[v, np.random.randint(nn)]
            if loc[w] == loc[v]:  # only on tiny instances
                continue
            k1 = where[v]
            k2 = where[w]
            if k1 != k2:
                if not can[k2, v] or not can[k1, w]:
                    continue
                if partner[v] >= 0 and where[partner[v]] == k2:
                    continue
                if partner[w] >= 0 and where[partner[w]] == k1:
                    continue
            nk_ = _backup(routes, rlen, ks, nk_, saved, saved_len, k1)
            nk_ = _backup(routes, rlen, ks, nk_, saved, saved_len, k2)
            i = _find(routes, rlen, k1, v)
            j = _find(routes, rlen, k2, w)
            routes[k1, i] = w
            routes[k2, j] = v
            where[v] = k2
            where[w] = k1
        elif move == 2:  # move both halves of a double service
            p = partner[v]
            if p < 0:
                continue
            w1 = neigh[v, np.random.randint(nn)]
            w2 = neigh[p, np.random.randint(nn)]
            if loc[w1] == loc[v] or loc[w2] == loc[v]:
                continue
            k1 = where[w1]
            k2 = where[w2]
            if w1 == w2 or k1 == k2 or not can[k1, v] or not can[k2, p]:
                if np.random.random() < 0.5:
                    continue
                # the same places, halves exchanged between their caregivers
                ka = where[v]
                kb = where[p]
                if not can[kb, v] or not can[ka, p]:
                    continue
                nk_ = _backup(routes, rlen, ks, nk_, saved, saved_len, ka)
                nk_ = _backup(routes, rlen, ks, nk_, saved, saved_len, kb)
                i = _find(routes, rlen, ka, v)
                j = _find(routes, rlen, kb, p)
                routes[ka, i] = p
                routes[kb, j] = v
                where[v] = kb
                where[p] = ka
            else:
                nk_ = _backup(routes, rlen, ks, nk_, saved, saved_len, where[v])
                nk_ = _backup(routes, rlen, ks, nk_, saved, saved_len, where[p])
                nk_ = _backup(routes, rlen, ks, nk_, saved, saved_len, k1)
                nk_ = _backup(routes, rlen, ks, nk_, saved, saved_len, k2)
                _remove(routes, rlen, where[v], v)
                _remove(routes, rlen, where[p], p)
                pos = _find(routes, rlen, k1, w1) + _side(v, w1, early, side)
                _insert(routes, rlen, k1, pos, v)
                pos = _find(routes, rlen, k2, w2) + _side(p, w2, early, side)
                _insert(routes, rlen, k2, pos, p)
                where[v] = k1
                where[p] = k2
        elif move == 3:  # exchange the tails of two routes (2-opt*)
            w = neigh[v, np.random.randint(nn)]
            if loc[w] == loc[v]:  # only on tiny instances
                continue
            k1 = where[v]
            k2 = where[w]
            if k1 == k2:
                continue
            i = _find(routes, rlen, k1, v) + 1  # k1 keeps [0, i), then k2's tail from j
            j = _find(routes, rlen, k2, w)
            if np.random.random() < 0.5:
                i -= 1
                j += 1
            ok = True
            for x in range(i, rlen[k1]):
                if not can[k2, routes[k1, x]]:
                    ok = False
            for x in range(j, rlen[k2]):
                if not can[k1, routes[k2, x]]:
                    ok = False
            if not ok:
                continue
            nk_ = _backup(routes, rlen, ks, nk_, saved, saved_len, k1)
            nk_ = _backup(routes, rlen, ks, nk_, saved, saved_len, k2)
            n1 = i
            for x in range(j, saved_len[1]):
                routes[k1, n1] = saved[1, x]
                n1 += 1
            n2 = j
            for x in range(i, saved_len[0]):
                routes[k2, n2] = saved[0, x]
                n2 += 1
            rlen[k1] = n1
            rlen[k2] = n2
            if not _partners_apart(routes, rlen, where, partner, ks, nk_):
                _restore(routes, rlen, where, ks, nk_, saved, saved_len)
                continue
        elif move == 4:  # move a chain of two or three visits next to a neighbour
            k0 = where[v]
            i = _find(routes, rlen, k0, v)
            length = 2 + np.random.randint(2)
            if i + length > rlen[k0]:
                continue
            w = neigh[v, np.random.randint(nn)]
            if loc[w] == loc[v]:  # only on tiny instances
                continue
            k = where[w]
            if k == k0:
                continue
            ok = True
            for x in range(i, i + length):
                if not can[k, routes[k0, x]]:
                    ok = False
            if not ok:
                continue
            nk_ = _backup(routes, rlen, ks, nk_, saved, saved_len, k0)
            nk_ = _backup(routes, rlen, ks, nk_, saved, saved_len, k)
            pos = _find(routes, rlen, k, w) + _side(v, w, early, side)
            for x in range(length):
                _insert(routes, rlen, k, pos + x, saved[0, i + x])
            for x in range(length):
                _remove(routes, rlen, k0, saved[0, i + x])
            if not _partners_apart(routes, rlen, where, partner, ks, nk_):
                _restore(routes, rlen, where, ks, nk_, saved, saved_len)
                continue
        else:  # ruin a few related visits and reinsert each at its best place
            count = 2 + np.random.randint(4)
            removed[0] = v
            nr = 1
            for x in range(nn):
                if nr >= count:
                    break
                if np.random.random() < 0.5:
                    removed[nr] = neigh[v, x]
                    nr += 1
            old = routes.copy()
            old_len = rlen.copy()
            old_where = where.copy()
            for x in range(nr):
                y = removed[x]
                # skip duplicates
                dup = False
                for z in range(x):
                    if removed[z] == y:
                        dup = True
                if dup:
                    removed[x] = -1
                    continue
                _remove(routes, rlen, where[y], y)
                where[y] = -1
            for k in range(nk):
                rtravel[k] = _route_travel(routes, rlen, k, loc, dist)
            _schedule(routes, rlen, loc, dur, early, kind, partner, dmin, dmax, dist, start,
                      limit)
            c = 0.0
            for x in range(nr):
                y = removed[x]
                if y < 0:
                    continue
                c = _best_insertion(y, routes, rlen, where, can, neigh, rtravel, loc, dur, early,
                                    due, kind, partner, dmin, dmax, dist, start, trial, mark,
                                    stack, touched, limit, ks1, saved1, saved_len1, newtravel1)
                if c >= INF:
                    break
            if c < INF and (c <= cur or np.random.random() < math.exp((cur - c) / temp)):
                cur = c
                if c < best_cost - 1e-9:
                    best_cost = c
                    best_routes[:, :] = routes
                    best_rlen[:] = rlen
            else:
                routes[:, :] = old
                rlen[:] = old_len
                where[:] = old_where
            for k in range(nk):
                rtravel[k] = _route_travel(routes, rlen, k, loc, dist)
            _schedule(routes, rlen, loc, dur, early, kind, partner, dmin, dmax, dist, start,
                      limit)
            continue
        c = _evaluate(routes, rlen, where, ks, nk_, saved, saved_len, rtravel, newtravel, loc,
                      dur, early, due, kind, partner, dmin, dmax, dist, start, trial, mark,
                      stack, touched, limit)
        if c < INF and (c <= cur or np.random.random() < math.exp((cur - c) / temp)):
            cur = c
            for v in range(nv):
                start[v] = trial[v]
            for j in range(nk_):
                rtravel[ks[j]] = newtravel[j]
            if c < best_cost - 1e-9:
                best_cost = c
                for j in range(nk):
                    best_rlen[j] = rlen[j]
                    for x in range(rlen[j]):
                        best_routes[j, x] = routes[j, x]
        else:
            _restore(routes, rlen, where, ks, nk_, saved, saved_len)
    return cur, best_cost


# ------------------------------------------------------------------ the instance as arrays


class _Arrays:
    def __init__(self, instance: Instance):
        visits = []  # (patient, service, duration, kind)
        for p in instance.patients:
            if len(p.services) == 1:
                visits.append((p, p.services[0][0], p.services[0][1], 0))
            else:
                visits.append((p, p.services[0][0], p.services[0][1], 1))
                visits.append((p, p.services[1][0], p.services[1][1], 2))
        nv = len(visits)
        self.visits = visits
        self.caregivers = list(instance.caregivers)
        self.dist = np.array(instance.distances, dtype=np.float64)
        self.loc = np.array([p.index for p, *_ in visits], dtype=np.int64)
        self.dur = np.array([d for _, _, d, _ in visits], dtype=np.float64)
        self.early = np.array([p.earliest for p, *_ in visits], dtype=np.float64)
        self.due = np.array([p.deadline for p, *_ in visits], dtype=np.float64)
        self.kind = np.array([k for *_, k in visits], dtype=np.int64)
        self.partner = np.full(nv, -1, dtype=np.int64)
        self.dmin = np.zeros(nv)
        self.dmax = np.zeros(nv)
        for v, (p, _, _, kind) in enumerate(visits):
            if kind == 1:
                self.partner[v], self.partner[v + 1] = v + 1, v
                self.dmin[v] = self.dmin[v + 1] = p.delay[0]
                self.dmax[v] = self.dmax[v + 1] = p.delay[1]
        self.can = np.array([[s in instance.caregivers[c] for _, s, _, _ in visits]
                             for c in self.caregivers], dtype=np.bool_).reshape(
                                 len(self.caregivers), nv)
        # no start can be later than the longest chain of every wait, travel and delay
        self.limit = float(self.early.max(initial=0.0) + self.dur.sum()
                           + nv * self.dist.max(initial=0.0) + self.dmin.sum() + 1.0)
        # neighbours: near in place and in time, the visit's own patient excluded
        d = self.dist[np.ix_(self.loc, self.loc)]
        d = np.minimum(d, d.T) + TIME_WEIGHT * np.abs(self.early[:, None] - self.early[None, :])
        d[self.loc[:, None] == self.loc[None, :]] = np.inf
        nn = max(1, min(NEIGHBOURS, nv - 1))
        self.neigh = np.argsort(d, axis=1, kind="stable")[:, :nn].astype(np.int64)

    def args(self):
        return (self.loc, self.dur, self.early, self.due, self.kind, self.partner, self.dmin,
                self.dmax, self.dist)


class NoSolutionError(ValueError):
    """An instance without any solution (a service that no caregiver can do), in French."""


_WARM = False


def _warm_up() -> None:
    """Compile (or load from the cache) the numba functions on a toy instance, so that no
    compilation is charged to a solve's time."""
    global _WARM
    if _WARM:
        return
    from .hhcrsp import Patient
    toy = Instance("toy", (Patient("p1", 1, 0.0, 10.0, (("s1", 1.0), ("s2", 1.0)), (0.0, 5.0)),
                           Patient("p2", 2, 0.0, 10.0, (("s1", 1.0),), None),
                           Patient("p3", 3, 0.0, 10.0, (("s2", 1.0),), None)),
                   {"c1": frozenset({"s1", "s2"}), "c2": frozenset({"s1", "s2"})},
                   [[0.0, 1, 2, 3], [1, 0.0, 1, 2], [2, 1, 0.0, 1], [3, 2, 1, 0.0]])
    _search(toy, seconds=5.0, seed=0, iterations=60)
    _WARM = True


def _search(instance: Instance, *, seconds: float, seed: int, iterations: int | None):
    a = _Arrays(instance)
    nv, nk = len(a.visits), len(a.caregivers)
    for v, (p, s, _, _) in enumerate(a.visits):
        if not a.can[:, v].any() or (a.kind[v] and nk < 2):
            raise NoSolutionError(f"aucun·e intervenant·e ne peut faire {s} pour {p.id}.")
    started = time.perf_counter()
    _seed(seed)
    routes = np.full((nk, max(nv, 1)), -1, dtype=np.int64)
    rlen = np.zeros(nk, dtype=np.int64)
    where = np.full(nv, -1, dtype=np.int64)
    start = np.zeros(nv)
    order = np.array(sorted((v for v in range(nv) if a.kind[v] != 2),
                            key=lambda v: (a.early[v], a.due[v], v)), dtype=np.int64)
    cur = _construct(order, routes, rlen, where, a.can, *a.args(), start, a.limit)
    if cur >= INF:  # the greedy never deadlocks (appending keeps the order), but be safe
        raise NoSolutionError("aucune solution trouvée.")
    best_routes, best_rlen = routes.copy(), rlen.copy()
    best = cur
    if nv >= 2:
        scale = cur / nv  # the mean cost per visit
        t_start, t_end = scale * T_START, scale * T_END
        weights = np.array(WEIGHTS)
        chunk = 2000
        done = 0
        while True:
            elapsed = time.perf_counter() - started
            progress = done / iterations if iterations else elapsed / seconds
            if progress >= 1.0 or elapsed >= seconds:
                break
            step = chunk if not iterations else min(chunk, iterations - done)
            if iterations:
                span = step / iterations
            else:
                span = step * elapsed / done / seconds if done else 0.001
            t_a = t_start * (t_end / t_start) ** progress
            t_b = t_start * (t_end / t_start) ** min(1.0, progress + span)
            cur, best = _anneal(step, t_a, t_b, cur, routes, rlen, where, best_routes, best_rlen,
                                best, a.can, a.neigh, *a.args(), start, a.limit, weights,
                                SIDE)
            done += step
    return a, best_routes, best_rlen, start


def solve(instance: Instance, seconds: float = 10.0, seed: int = 1,
          iterations: int | None = None) -> dict:
    """The solution JSON of the benchmark (one route per caregiver, empty ones included).

    Bounded by ``seconds``; with ``iterations`` the search stops after that many moves and,
    unless the time runs out first, gives the same solution for the same seed."""
    _warm_up()
    a, routes, rlen, start = _search(instance, seconds=seconds, seed=seed,
                                     iterations=iterations)
    if not _schedule(routes, rlen, a.loc, a.dur, a.early, a.kind, a.partner, a.dmin, a.dmax,
                     a.dist, start, a.limit):
        raise NoSolutionError("aucune solution trouvée.")
    out = []
    for k, caregiver in enumerate(a.caregivers):
        steps = []
        for i in range(rlen[k]):
            v = int(routes[k, i])
            p, service, duration, _ = a.visits[v]
            steps.append({"patient": p.id, "service": service,
                          "arrival_time": float(start[v]),
                          "departure_time": float(start[v]) + duration})
        out.append({"caregiver_id": caregiver, "locations": steps})
    return {"routes": out}
