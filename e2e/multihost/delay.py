#!/usr/bin/env python3
"""Latency on a link without sch_netem: packets held in the kernel, released after a delay.

Usage (as root, inside the host's network namespace):
    delay.py QUEUE_NUM DELAY_MS

iptables sends the host's packets to NFQUEUE number QUEUE_NUM (`-j NFQUEUE --queue-num N
--queue-bypass`, see net.sh `slow_on`); this program binds that queue over netlink
(nfnetlink_queue, stdlib only: no libnetfilter_queue here) and gives each packet its ACCEPT
verdict DELAY_MS after it was queued. The kernel keeps the packet meanwhile, so this is a real
per-packet delay on every connection of the link, established ones included, in order (verdicts
are given in arrival order, as a batch up to the newest due packet id). Packets beyond the
queue's length (4096) are dropped by the kernel (counted as loss). When this program stops, the
rules' --queue-bypass lets packets through undelayed.
"""

import os
import select
import signal
import socket
import struct
import sys
import time
from collections import deque

NETLINK_NETFILTER = 12
NFNL_SUBSYS_QUEUE = 3
NFQNL_MSG_PACKET = 0
NFQNL_MSG_VERDICT_BATCH = 3
NFQNL_MSG_CONFIG = 2
NFQA_CFG_CMD = 1
NFQA_CFG_PARAMS = 2
NFQA_CFG_QUEUE_MAXLEN = 3
NFQA_PACKET_HDR = 1
NFQA_VERDICT_HDR = 2
NFQNL_CFG_CMD_BIND = 1
NFQNL_COPY_META = 1
NF_ACCEPT = 1
NLM_F_REQUEST = 1
NLM_F_ACK = 4
NLMSG_ERROR = 2
NLMSG_DONE = 3


def attr(kind, payload):
    length = 4 + len(payload)
    return struct.pack("=HH", length, kind) + payload + b"\0" * ((4 - length % 4) % 4)


def message(msg_type, queue, attrs, flags=NLM_F_REQUEST):
    # nfgenmsg: family, version, res_id (big-endian queue number)
    body = struct.pack("=BBH", socket.AF_UNSPEC, 0, socket.htons(queue)) + b"".join(attrs)
    return struct.pack("=IHHII", 16 + len(body), (NFNL_SUBSYS_QUEUE << 8) | msg_type, flags, 0, 0) + body


def configure(sock, queue):
    for attrs in (
        [attr(NFQA_CFG_CMD, struct.pack("!BxH", NFQNL_CFG_CMD_BIND, socket.AF_INET))],
        [attr(NFQA_CFG_PARAMS, struct.pack("!IB", 0, NFQNL_COPY_META)), attr(NFQA_CFG_QUEUE_MAXLEN, struct.pack("!I", 4096))],
    ):
        sock.send(message(NFQNL_MSG_CONFIG, queue, attrs, NLM_F_REQUEST | NLM_F_ACK))
        data = sock.recv(65536)
        _, msg_type = struct.unpack_from("=IH", data)
        if msg_type == NLMSG_ERROR:
            (error,) = struct.unpack_from("=i", data, 16)
            if error:
                sys.exit(f"delay.py: binding queue {queue} failed: {os.strerror(-error)}")


def packet_ids(data):
    """The packet ids of the NFQNL_MSG_PACKET messages in one netlink read."""
    offset = 0
    while offset + 16 <= len(data):
        length, msg_type = struct.unpack_from("=IH", data, offset)
        if length < 16:
            return
        if msg_type == (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET:
            pos, end = offset + 20, offset + length  # nlmsghdr (16) + nfgenmsg (4)
            while pos + 4 <= end:
                alen, akind = struct.unpack_from("=HH", data, pos)
                if alen < 4:
                    break
                if akind & 0x7FFF == NFQA_PACKET_HDR:
                    (packet_id,) = struct.unpack_from("!I", data, pos + 4)
                    yield packet_id
                pos += (alen + 3) & ~3
        offset += (length + 3) & ~3


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    queue, delay = int(sys.argv[1]), int(sys.argv[2]) / 1000
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    sock.bind((0, 0))
    configure(sock, queue)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    held = deque()  # (due, packet id), in arrival order
    while True:
        timeout = max(0.0, held[0][0] - time.monotonic()) if held else None
        ready, _, _ = select.select([sock], [], [], timeout)
        if ready:
            try:
                data = sock.recv(1 << 20)
            except OSError:  # ENOBUFS: notifications lost; those packets stay queued until the next batch verdict
                data = b""
            now = time.monotonic()
            held.extend((now + delay, pid) for pid in packet_ids(data))
        now, last = time.monotonic(), None
        while held and held[0][0] <= now:
            last = held.popleft()[1]
        if last is not None:
            # Every packet with an id up to `last` (in arrival order) gets ACCEPT.
            sock.send(message(NFQNL_MSG_VERDICT_BATCH, queue, [attr(NFQA_VERDICT_HDR, struct.pack("!II", NF_ACCEPT, last))]))


if __name__ == "__main__":
    main()
