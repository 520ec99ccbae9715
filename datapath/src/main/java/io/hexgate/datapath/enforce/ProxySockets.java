package io.hexgate.datapath.enforce;

import io.hexgate.datapath.abi.ScalarCodecs;
import io.hexgate.datapath.bpf.BpfMap;
import io.hexgate.datapath.netns.NetNsThread;
import io.hexgate.datapath.proxy.ProxyDirection;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code hg_proxy_sockets}: the L7 proxy's listening sockets, where the programs find them by direction. */
final class ProxySockets {
  private static final Logger log = LoggerFactory.getLogger(ProxySockets.class);

  private final String node;
  private final NetNsThread net;
  private final BpfMap map;

  ProxySockets(String node, NetNsThread net, BpfMap map) {
    this.node = node;
    this.net = net;
    this.map = map;
  }

  /** Writes a listener's fd (a SOCKMAP takes the socket behind it) into its direction's slot. */
  void register(ProxyDirection d, int fd) {
    byte[] key = ScalarCodecs.U32.encode(d.slot());
    byte[] value = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putLong(fd).array();
    try {
      net.call(() -> {
        map.update(key, value);
        return null;
      });
    } catch (Exception e) {
      throw new IllegalStateException("node " + node + ": cannot register the L7 proxy's " + d + " listener: "
          + e.getMessage(), e);
    }
    log.info("node {}: L7 proxy {} listener registered (fd {})", node, d, fd);
  }
}
