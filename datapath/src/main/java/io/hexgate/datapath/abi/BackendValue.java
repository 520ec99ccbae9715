package io.hexgate.datapath.abi;

import static io.hexgate.datapath.abi.NetOrder.getNet16;
import static io.hexgate.datapath.abi.NetOrder.getNet32;
import static io.hexgate.datapath.abi.NetOrder.putNet16;
import static io.hexgate.datapath.abi.NetOrder.putNet32;

import io.hexgate.datapath.bpf.Codec;
import java.nio.ByteBuffer;

public record BackendValue(int addr, int port) {
  public static final Codec<BackendValue> CODEC = new Codec<>() {
    public int size() {
      return 8;
    }

    public void write(BackendValue v, ByteBuffer b) {
      putNet32(b, v.addr);
      putNet16(b, v.port);
      b.putShort((short) 0);
    }

    public BackendValue read(ByteBuffer b) {
      BackendValue v = new BackendValue(getNet32(b), getNet16(b));
      b.getShort();
      return v;
    }
  };
}
