package io.hexgate.datapath.enforce;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * What {@link BpfDatapath#open} needs to know of its node.
 *
 * @param node the node's name (logs)
 * @param pinDir where maps and programs are pinned (default {@code /sys/fs/bpf/hexgate/<node>})
 * @param netns the node's network namespace name, or null for this process's own
 * @param uplinks the node's uplink interfaces, for {@code from_netdev}
 * @param retryInterval how often endpoints that could not be attached are retried
 * @param conntrack map size, quota, lifetimes and GC interval
 * @param l7Proxy whether the datapath runs the node's L7 proxy (tests of the redirect bring their own listeners)
 */
public record BpfDatapathOptions(String node, Path pinDir, String netns, List<String> uplinks, Duration retryInterval,
    ConntrackOptions conntrack, boolean l7Proxy) {
  public BpfDatapathOptions {
    if (node == null || node.isBlank()) {
      throw new IllegalArgumentException("BpfDatapath options: node must not be empty");
    }
    pinDir = pinDir != null ? pinDir : BpfDatapath.PIN_ROOT.resolve(node);
    uplinks = List.copyOf(uplinks);
    retryInterval = retryInterval != null ? retryInterval : Duration.ofSeconds(1);
    conntrack = conntrack != null ? conntrack : ConntrackOptions.DEFAULT;
  }

  public BpfDatapathOptions(String node, Path pinDir, String netns, List<String> uplinks, Duration retryInterval,
      ConntrackOptions conntrack) {
    this(node, pinDir, netns, uplinks, retryInterval, conntrack, true);
  }

  public BpfDatapathOptions(String node, Path pinDir, String netns, List<String> uplinks, Duration retryInterval) {
    this(node, pinDir, netns, uplinks, retryInterval, ConntrackOptions.DEFAULT);
  }

  /** Without the node's L7 proxy: whoever opens the datapath registers listeners of its own (tests). */
  public BpfDatapathOptions withoutL7Proxy() {
    return new BpfDatapathOptions(node, pinDir, netns, uplinks, retryInterval, conntrack, false);
  }
}
