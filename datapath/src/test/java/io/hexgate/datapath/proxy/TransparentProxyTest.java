package io.hexgate.datapath.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.hexgate.datapath.netns.Commands;
import io.hexgate.datapath.netns.NetNs;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollSocketChannel;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Transparent mode in a fresh network namespace: the upstream connection leaves from the client's own
 * address and port although that address is not local (IP_TRANSPARENT), so the server sees the client, not
 * the proxy. Replies to the client's prefix are routed locally, as the agent's routing table does for the
 * datapath's marked packets.
 */
class TransparentProxyTest {
  private static final String NS = "hg-l7proxy-" + ProcessHandle.current().pid();
  private static final String CLIENT = "10.213.0.5";

  @AfterEach
  void tearDown() {
    if (NetNs.unavailable().isEmpty()) {
      NetNs.delete(NS);
    }
  }

  @Test
  void theUpstreamConnectionCarriesTheClientsNonLocalAddressAndPort() throws Exception {
    NetNs.unavailable().ifPresent(why -> Assumptions.abort("skipping the transparent proxy test: " + why));
    NetNs.delete(NS);
    NetNs.add(NS);
    Commands.check("ip", "-n", NS, "route", "add", "local", "10.213.0.0/24", "dev", "lo", "table", "2004");
    Commands.check("ip", "-n", NS, "rule", "add", "to", "10.213.0.0/24", "lookup", "2004");

    // threads started from inside the namespace stay in it: the proxy's event loops and their sockets too
    NetNs.run(NS, () -> {
      try (EchoBackend backend = new EchoBackend()) {
        ProxyOptions options = ProxyOptions.transparent(Thread::new)
            .withDestination((client, local) -> backend.address());
        L7Policy policy = (d, client, server) -> Optional.of(new ConnectionPolicy(1, 2, List.of(), List.of()));
        try (L7Proxy proxy = L7Proxy.start(options, policy, f -> { })) {
          assertThat(proxy.listenerFd(ProxyDirection.INGRESS)).isPositive();
          int clientPort = 41_234;
          String response = requestFrom(new InetSocketAddress(CLIENT, clientPort),
              proxy.address(ProxyDirection.INGRESS));
          assertThat(response).startsWith("HTTP/1.1 200").endsWith("GET /ok\n");
          assertThat(backend.seen).singleElement()
              .satisfies(s -> assertThat(s.clientPort()).isEqualTo(clientPort));
          assertThat(backend.remoteAddresses).containsExactly(CLIENT);
        }
      }
    });
  }

  /** A client on a non-local address (itself transparent) sending one request, closing after it. */
  private static String requestFrom(InetSocketAddress from, InetSocketAddress proxy) throws Exception {
    EpollEventLoopGroup group = new EpollEventLoopGroup(1);
    try {
      CompletableFuture<String> done = new CompletableFuture<>();
      StringBuilder received = new StringBuilder();
      Channel ch = new Bootstrap().group(group).channel(EpollSocketChannel.class)
          .option(EpollChannelOption.IP_TRANSPARENT, true)
          .option(ChannelOption.SO_REUSEADDR, true)
          .handler(new SimpleChannelInboundHandler<ByteBuf>() {
            @Override
            protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
              received.append(msg.toString(StandardCharsets.ISO_8859_1));
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) {
              done.complete(received.toString());
            }
          })
          .localAddress(from)
          .connect(proxy).sync().channel();
      ch.writeAndFlush(Unpooled.copiedBuffer("GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
          StandardCharsets.ISO_8859_1)).sync();
      return done.get(10, TimeUnit.SECONDS);
    } finally {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
  }
}
