package io.hexgate.datapath.proxy;

import io.netty.channel.ChannelOption;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.unix.IntegerUnixChannelOption;

/** What every connection of one proxy shares. */
record ProxyContext(ProxyOptions options, L7Policy policy, L7Flows flows, ChannelGroup channels) {
  /** setsockopt(SOL_SOCKET, SO_MARK): the datapath tells the proxy's own packets by it. */
  static final ChannelOption<Integer> SO_MARK = new IntegerUnixChannelOption("SO_MARK", 1, 36);
}
