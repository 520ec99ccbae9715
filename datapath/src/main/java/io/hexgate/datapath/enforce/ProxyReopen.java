package io.hexgate.datapath.enforce;

import io.hexgate.datapath.bpf.BpfProgram;
import io.hexgate.datapath.bpf.Native;
import io.hexgate.datapath.sys.LibC;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code proxy_reopen} linked to the node's network namespace (sk_lookup) while this agent, and so its L7
 * proxy, runs: a client that takes a port again whose connection the proxy closed first gets through at
 * once, where the TIME_WAIT socket alone would find no listener at the original destination
 * (datapath/DESIGN.md, "L7 redirect to the proxy"). Without the link that client still gets through, a
 * reset and a SYN retransmission (a second) later.
 */
final class ProxyReopen implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ProxyReopen.class);
  /** enum bpf_attach_type BPF_SK_LOOKUP */
  private static final int BPF_SK_LOOKUP = 36;

  private final int link;

  private ProxyReopen(int link) {
    this.link = link;
  }

  /** Links {@code program} to the namespace at {@code netns}; a failure is logged, and nothing is linked. */
  static ProxyReopen attach(String node, BpfProgram program, Path netns) {
    LibC libc = LibC.get();
    int ns = libc.open(netns.toString(), LibC.O_RDONLY | LibC.O_CLOEXEC);
    if (ns < 0) {
      log.warn("node {}: cannot open {} to link {}: {}", node, netns, program.name(), LibC.lastError());
      return new ProxyReopen(-1);
    }
    try {
      int link = Native.libbpf().bpf_link_create(program.fd(), ns, BPF_SK_LOOKUP, null);
      if (link < 0) {
        log.warn("node {}: cannot link {} to the network namespace: {}; a client reusing the port of a connection"
            + " the L7 proxy closed first waits for one SYN retransmission", node, program.name(),
            LibC.describe(-link));
        return new ProxyReopen(-1);
      }
      return new ProxyReopen(link);
    } finally {
      libc.close(ns);
    }
  }

  @Override
  public void close() {
    if (link >= 0) {
      LibC.get().close(link);
    }
  }
}
