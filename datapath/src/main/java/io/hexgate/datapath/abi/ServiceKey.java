package io.hexgate.datapath.abi;

import static io.hexgate.datapath.abi.NetOrder.getNet16;
import static io.hexgate.datapath.abi.NetOrder.getNet32;
import static io.hexgate.datapath.abi.NetOrder.putNet16;
import static io.hexgate.datapath.abi.NetOrder.putNet32;

import io.hexgate.datapath.bpf.Codec;
import java.nio.ByteBuffer;

public record ServiceKey(int addr, int port, int protocol) {
  public static final Codec<ServiceKey> CODEC = new Codec<>() {
    public int size() {
      return 8;
    }

    public void write(ServiceKey k, ByteBuffer b) {
      putNet32(b, k.addr);
      putNet16(b, k.port);
      b.put((byte) k.protocol).put((byte) 0);
    }

    public ServiceKey read(ByteBuffer b) {
      ServiceKey k = new ServiceKey(getNet32(b), getNet16(b), Byte.toUnsignedInt(b.get()));
      b.get();
      return k;
    }
  };
}
