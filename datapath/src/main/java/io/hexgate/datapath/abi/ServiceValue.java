package io.hexgate.datapath.abi;

import io.hexgate.datapath.bpf.Codec;
import java.nio.ByteBuffer;

public record ServiceValue(int count, int serviceId) {
  public static final Codec<ServiceValue> CODEC = new Codec<>() {
    public int size() {
      return 8;
    }

    public void write(ServiceValue v, ByteBuffer b) {
      b.putInt(v.count).putInt(v.serviceId);
    }

    public ServiceValue read(ByteBuffer b) {
      return new ServiceValue(b.getInt(), b.getInt());
    }
  };
}
