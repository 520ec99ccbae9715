package io.hexgate.datapath.redirect;

import io.hexgate.datapath.sys.LibC;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A NETLINK_ROUTE socket of the calling thread's network namespace (the agent image has no {@code ip}):
 * one request at a time, each acknowledged. Not thread-safe; close it on any thread.
 */
final class Rtnetlink implements AutoCloseable {
  static final int RTM_NEWROUTE = 24;
  static final int RTM_DELROUTE = 25;
  static final int RTM_NEWRULE = 32;
  static final int RTM_DELRULE = 33;
  static final int EEXIST = 17;
  static final int ENOENT = 2;

  private static final int AF_NETLINK = 16;
  private static final int SOCK_RAW = 3;
  private static final int SOCK_CLOEXEC = 0x80000;
  private static final int NETLINK_ROUTE = 0;
  private static final int NLM_F_REQUEST = 0x1;
  private static final int NLM_F_ACK = 0x4;
  private static final int NLMSG_ERROR = 2;
  private static final int NLMSG_HDRLEN = 16;

  private final LibC libc = LibC.get();
  private final int fd;
  private int seq;

  Rtnetlink() {
    fd = libc.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0) {
      throw new IllegalStateException("socket(AF_NETLINK, NETLINK_ROUTE): " + LibC.lastError());
    }
  }

  /** A message under construction: header, the fixed family struct, then attributes. */
  static final class Message {
    private final ByteBuffer b = ByteBuffer.allocate(256).order(ByteOrder.nativeOrder());

    Message(int type, int flags, byte[] family) {
      b.putInt(0).putShort((short) type).putShort((short) (flags | NLM_F_REQUEST | NLM_F_ACK)).putInt(0).putInt(0);
      b.put(family);
    }

    /** A u32 attribute (struct rtattr: length, type, value; 4-byte aligned). */
    Message u32(int type, int value) {
      b.putShort((short) 8).putShort((short) type).putInt(value);
      return this;
    }

    byte[] bytes(int seq) {
      b.putInt(0, b.position());
      b.putInt(8, seq);
      byte[] out = new byte[b.position()];
      b.get(0, out);
      return out;
    }
  }

  /** Sends {@code m}, returns the kernel's answer: 0, or an errno (positive). */
  int request(Message m) {
    byte[] req = m.bytes(++seq);
    if (libc.send(fd, req, req.length, 0) != req.length) {
      throw new IllegalStateException("netlink send: " + LibC.lastError());
    }
    byte[] ans = new byte[8192];
    while (true) {
      long n = libc.recv(fd, ans, ans.length, 0);
      if (n < 0) {
        throw new IllegalStateException("netlink recv: " + LibC.lastError());
      }
      ByteBuffer b = ByteBuffer.wrap(ans, 0, (int) n).order(ByteOrder.nativeOrder());
      for (int off = 0; off + NLMSG_HDRLEN <= n; ) {
        int len = b.getInt(off);
        int type = b.getShort(off + 4) & 0xffff;
        int answers = b.getInt(off + 8);
        if (type == NLMSG_ERROR && answers == seq) {
          return -b.getInt(off + NLMSG_HDRLEN);
        }
        if (len < NLMSG_HDRLEN) {
          break;
        }
        off += (len + 3) & ~3;
      }
    }
  }

  @Override
  public void close() {
    libc.close(fd);
  }
}
