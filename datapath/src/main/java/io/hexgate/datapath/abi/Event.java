package io.hexgate.datapath.abi;

import static io.hexgate.datapath.abi.NetOrder.getNet16;
import static io.hexgate.datapath.abi.NetOrder.getNet32;
import static io.hexgate.datapath.abi.NetOrder.putNet16;
import static io.hexgate.datapath.abi.NetOrder.putNet32;

import io.hexgate.datapath.bpf.Codec;
import java.nio.ByteBuffer;

/** One ring-buffer record (struct hg_event, 56 bytes). */
public record Event(
    long timeNanos,
    int type,
    int direction,
    int action,
    int matchType,
    int reason,
    int protocol,
    int tcpFlags,
    int endpoint,
    int srcIdentity,
    int dstIdentity,
    int saddr,
    int daddr,
    int sport,
    int dport,
    int ruleId,
    int origDaddr,
    int origDport,
    int icmpType,
    int icmpCode,
    int length) {
  public static final int EVENT_POLICY_VERDICT = 1;
  public static final int EVENT_DROP = 2;

  public static final int ACTION_ALLOW = 0;
  public static final int ACTION_DENY = 1;
  public static final int ACTION_REDIRECT = 2;

  public static final int SIZE = 56;

  public static final Codec<Event> CODEC = new Codec<>() {
    public int size() {
      return SIZE;
    }

    public void write(Event e, ByteBuffer b) {
      b.putLong(e.timeNanos);
      b.put((byte) e.type).put((byte) e.direction).put((byte) e.action).put((byte) e.matchType);
      b.putShort((short) e.reason).put((byte) e.protocol).put((byte) e.tcpFlags);
      b.putInt(e.endpoint).putInt(e.srcIdentity).putInt(e.dstIdentity);
      putNet32(b, e.saddr);
      putNet32(b, e.daddr);
      putNet16(b, e.sport);
      putNet16(b, e.dport);
      b.putInt(e.ruleId);
      putNet32(b, e.origDaddr);
      putNet16(b, e.origDport);
      b.put((byte) e.icmpType).put((byte) e.icmpCode);
      b.putInt(e.length);
    }

    public Event read(ByteBuffer b) {
      long t = b.getLong();
      int type = Byte.toUnsignedInt(b.get());
      int dir = Byte.toUnsignedInt(b.get());
      int action = Byte.toUnsignedInt(b.get());
      int match = Byte.toUnsignedInt(b.get());
      int reason = Short.toUnsignedInt(b.getShort());
      int proto = Byte.toUnsignedInt(b.get());
      int flags = Byte.toUnsignedInt(b.get());
      int ep = b.getInt();
      int src = b.getInt();
      int dst = b.getInt();
      int saddr = getNet32(b);
      int daddr = getNet32(b);
      int sport = getNet16(b);
      int dport = getNet16(b);
      int rule = b.getInt();
      int od = getNet32(b);
      int op = getNet16(b);
      int icmpType = Byte.toUnsignedInt(b.get());
      int icmpCode = Byte.toUnsignedInt(b.get());
      int len = b.getInt();
      return new Event(t, type, dir, action, match, reason, proto, flags, ep, src, dst, saddr, daddr, sport, dport,
          rule, od, op, icmpType, icmpCode, len);
    }
  };

  /** The same event without its kernel timestamp, for comparisons with the twin. */
  public Event withoutTime() {
    return new Event(0, type, direction, action, matchType, reason, protocol, tcpFlags, endpoint, srcIdentity,
        dstIdentity, saddr, daddr, sport, dport, ruleId, origDaddr, origDport, icmpType, icmpCode, length);
  }
}
