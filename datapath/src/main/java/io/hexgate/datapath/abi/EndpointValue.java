package io.hexgate.datapath.abi;

import io.hexgate.datapath.bpf.Codec;
import java.nio.ByteBuffer;

/** {@code ifindex}: the pod's host-side interface in the node's namespace; 0 = unknown, matches no packet. */
public record EndpointValue(int id, int identity, int flags, int ifindex) {
  public static final int EP_INGRESS_ENFORCING = 1;
  public static final int EP_EGRESS_ENFORCING = 2;

  public static final Codec<EndpointValue> CODEC = new Codec<>() {
    public int size() {
      return 16;
    }

    public void write(EndpointValue v, ByteBuffer b) {
      b.putInt(v.id).putInt(v.identity).putInt(v.flags).putInt(v.ifindex);
    }

    public EndpointValue read(ByteBuffer b) {
      return new EndpointValue(b.getInt(), b.getInt(), b.getInt(), b.getInt());
    }
  };

  public EndpointValue withIfindex(int index) {
    return new EndpointValue(id, identity, flags, index);
  }
}
