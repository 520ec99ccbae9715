package io.hexgate.datapath.abi;

import static io.hexgate.datapath.abi.NetOrder.getNet32;
import static io.hexgate.datapath.abi.NetOrder.putNet32;

import io.hexgate.datapath.bpf.Codec;
import java.nio.ByteBuffer;

public record EndpointKey(int addr) {
  public static final Codec<EndpointKey> CODEC = new Codec<>() {
    public int size() {
      return 4;
    }

    public void write(EndpointKey k, ByteBuffer b) {
      putNet32(b, k.addr);
    }

    public EndpointKey read(ByteBuffer b) {
      return new EndpointKey(getNet32(b));
    }
  };
}
