# Helpers for the libnbd interop tests (LibnbdCommandsTest). The test appends its own code to this
# prelude and passes the export URIs as sys.argv[1:]. Results are printed as "name=value" lines,
# which the Java test compares with what doc/proto.md requires.
import random
import sys

import nbd

BASE_ALLOCATION = "base:allocation"


def connect(uri, strict=True):
    """A handle on uri with base:allocation requested; strict=False lets libnbd send requests it
    would otherwise refuse on the client side, so that the server's answer can be seen."""
    h = nbd.NBD()
    h.add_meta_context(BASE_ALLOCATION)
    h.connect_uri(uri)
    if not strict:
        h.set_strict_mode(0)
    return h


def connect_without_block_size(uri):
    """A handle whose NBD_OPT_GO does not request NBD_INFO_BLOCK_SIZE, so it has not agreed to the
    server's 512-byte minimum block ("Size constraints"), and whose libnbd does not check alignment
    either (STRICT_ALIGN off); its other client-side checks stay on."""
    h = nbd.NBD()
    h.add_meta_context(BASE_ALLOCATION)
    h.set_request_block_size(False)
    h.connect_uri(uri)
    h.set_strict_mode(nbd.STRICT_MASK & ~nbd.STRICT_ALIGN)
    return h


def outcome(action):
    """'ok', or the errno name of the failure (EINVAL, ENOSPC, ...); nbd.Error.errno is the name."""
    try:
        action()
        return "ok"
    except nbd.Error as e:
        return e.errno if e.errno else "error: " + e.string


def refused_client_side(action):
    """The errno name, and whether libnbd refused before sending (its own message, no 'command
    failed' from the server)."""
    try:
        action()
        return "ok"
    except nbd.Error as e:
        where = "server" if "command failed" in e.string else "client"
        return "%s by %s" % (e.errno, where)


def report(name, value):
    print("%s=%s" % (name, value), flush=True)


def pattern(seed, length):
    return random.Random(seed).randbytes(length)


def extents(h, count, offset, flags=0):
    """base:allocation descriptors as a list of (length, flags)."""
    found = []

    def extent(context, start, entries, error):
        if context == BASE_ALLOCATION:
            found.extend(zip(entries[0::2], entries[1::2]))
        return 0

    h.block_status(count, offset, extent, flags)
    return found


def chunks(h, count, offset, flags=0):
    """The read's data and its content chunks as (offset, length, 'data' or 'hole'), sorted."""
    seen = []
    kinds = {nbd.READ_DATA: "data", nbd.READ_HOLE: "hole", nbd.READ_ERROR: "error"}

    def chunk(buf, start, status, error):
        seen.append((start, len(buf), kinds[status]))
        return 0

    data = h.pread_structured(count, offset, chunk, flags)
    return data, sorted(seen)


def show(items):
    """A list of tuples as 'a:b:c,a:b:c' for the Java side."""
    return ",".join(":".join(str(part) for part in item) for item in items)

