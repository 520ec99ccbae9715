package io.hexgate.datapath.abi;

import static io.hexgate.datapath.abi.CtFlags.CT_REPLY;
import static io.hexgate.datapath.abi.NetOrder.getNet16;
import static io.hexgate.datapath.abi.NetOrder.getNet32;
import static io.hexgate.datapath.abi.NetOrder.putNet16;
import static io.hexgate.datapath.abi.NetOrder.putNet32;

import io.hexgate.datapath.bpf.Codec;
import java.nio.ByteBuffer;

/**
 * A hg_ct value. {@code expires} is in jiffies (the program's bpf_jiffies64, {@link
 * io.hexgate.datapath.bpf.JiffiesClock}; hg_config's hz of them make a second); {@code generation} the hg_config generation the connection was last judged at;
 * {@code peerIdentity} the identity its peer address had then. {@code ifindex}: the local pod's host-side interface (the
 * judged endpoint's); from_pod passes a CT hit only from there. {@code renew} (u32, jiffies): the lifetime
 * the entry was last given less a second ({@link Config#renewOf}); a packet writes it again only when its
 * flags change or {@code now + renew >= expires}.
 */
public record CtValue(int endpoint, int ruleId, int natAddr, int natPort, int flags, int ifindex, int peerIdentity,
    long expires, int generation, long renew) {
  public static final Codec<CtValue> CODEC = new Codec<>() {
    public int size() {
      return 40;
    }

    public void write(CtValue v, ByteBuffer b) {
      b.putInt(v.endpoint).putInt(v.ruleId);
      putNet32(b, v.natAddr);
      putNet16(b, v.natPort);
      b.putShort((short) v.flags);
      b.putInt(v.ifindex).putInt(v.peerIdentity).putLong(v.expires).putInt(v.generation).putInt((int) v.renew);
    }

    public CtValue read(ByteBuffer b) {
      return new CtValue(b.getInt(), b.getInt(), getNet32(b), getNet16(b), Short.toUnsignedInt(b.getShort()),
          b.getInt(), b.getInt(), b.getLong(), b.getInt(), Integer.toUnsignedLong(b.getInt()));
    }
  };

  public CtValue withFlags(int newFlags) {
    return new CtValue(endpoint, ruleId, natAddr, natPort, newFlags, ifindex, peerIdentity, expires, generation, renew);
  }

  public CtValue withExpires(long newExpires) {
    return new CtValue(endpoint, ruleId, natAddr, natPort, flags, ifindex, peerIdentity, newExpires, generation, renew);
  }

  /** The expiry and renew of a write at {@code now} under {@code config} (ct_touch, ct_close_partner). */
  public CtValue renewedAt(long now, long newExpires, Config config) {
    return new CtValue(endpoint, ruleId, natAddr, natPort, flags, ifindex, peerIdentity, newExpires, generation,
        config.renewOf(newExpires, now));
  }

  public CtValue withRenew(long newRenew) {
    return new CtValue(endpoint, ruleId, natAddr, natPort, flags, ifindex, peerIdentity, expires, generation, newRenew);
  }

  public CtValue withGeneration(int newGeneration) {
    return new CtValue(endpoint, ruleId, natAddr, natPort, flags, ifindex, peerIdentity, expires, newGeneration, renew);
  }

  public boolean isReply() {
    return (flags & CT_REPLY) != 0;
  }

  /** Whether the program treats the entry as absent at {@code nowJiffies}. */
  public boolean expiredAt(long nowJiffies) {
    return nowJiffies >= expires;
  }
}
