package io.hexgate.observer.peer;

import static io.hexgate.contract.hubble.peer.ChangeNotificationType.PEER_ADDED;
import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.hexgate.contract.hubble.peer.ChangeNotification;
import io.hexgate.contract.hubble.peer.NotifyRequest;
import io.hexgate.contract.hubble.peer.PeerGrpc;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PeerServiceTest {
  private final PeerTable table = new PeerTable();
  private final String name = "peers-" + UUID.randomUUID();
  private Server server;
  private ManagedChannel channel;

  private void serve() throws Exception {
    server = InProcessServerBuilder.forName(name).addService(new PeerService(table)).build().start();
    channel = InProcessChannelBuilder.forName(name).build();
  }

  @AfterEach
  void stop() {
    if (channel != null) {
      channel.shutdownNow();
    }
    if (server != null) {
      server.shutdownNow();
    }
  }

  private Iterator<ChangeNotification> notify(Duration deadline) {
    return PeerGrpc.newBlockingStub(channel)
        .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
        .notify(NotifyRequest.getDefaultInstance());
  }

  @Test
  void sendsEveryPeerFirstThenAddedUpdatedDeletedAndRenamesAsDeleteThenAdd() throws Exception {
    table.put(PeerInfo.of("default", "node-a", "172.31.0.11", true));
    table.put(PeerInfo.of("default", "node-b", "172.31.0.12", true));
    serve();
    Iterator<ChangeNotification> stream = notify(Duration.ofSeconds(10));

    assertThat(stream.next()).isEqualTo(ChangeNotification.newBuilder().setName("node-a").setAddress("172.31.0.11")
        .setType(PEER_ADDED).setTls(io.hexgate.contract.hubble.peer.TLS.newBuilder()
            .setServerName("node-a.default.hubble-grpc.cilium.io")).build());
    assertThat(stream.next().getName()).isEqualTo("node-b");

    table.put(PeerInfo.of("default", "node-c", "172.31.0.13", true));
    table.put(PeerInfo.of("default", "node-c", "172.31.0.13", true)); // no change: nothing sent
    table.put(PeerInfo.of("default", "node-a", "172.31.0.21", true));
    table.remove("node-b");
    table.rename("node-c", PeerInfo.of("default", "node-d", "172.31.0.13", true));

    assertThat(List.of(line(stream.next()), line(stream.next()), line(stream.next()), line(stream.next()), line(stream.next())))
        .containsExactly(
            "PEER_ADDED 172.31.0.13 node-c",
            "PEER_UPDATED 172.31.0.21 node-a",
            "PEER_DELETED 172.31.0.12 node-b",
            "PEER_DELETED 172.31.0.13 node-c",
            "PEER_ADDED 172.31.0.13 node-d");
  }

  @Test
  void aNewClientGetsTheCurrentPeersAndACancelledOneStopsWatching() throws Exception {
    AtomicInteger open = new AtomicInteger();
    PeerDirectory counted =
        new PeerDirectory() {
          @Override
          public List<PeerInfo> peers() {
            return table.peers();
          }

          @Override
          public AutoCloseable watch(Consumer<ChangeNotification> listener) {
            // counted before watching: the watch sends the current peers, which the client may read at once
            open.incrementAndGet();
            AutoCloseable w = table.watch(listener);
            return () -> {
              open.decrementAndGet();
              w.close();
            };
          }
        };
    server = InProcessServerBuilder.forName(name).addService(new PeerService(counted)).build().start();
    channel = InProcessChannelBuilder.forName(name).build();
    table.put(PeerInfo.of("", "node-a", "10.0.0.1", false));
    table.remove("node-a");
    table.put(PeerInfo.of("", "node-b", "10.0.0.2", false));
    Context.CancellableContext ctx = Context.current().withCancellation();
    Iterator<ChangeNotification> stream = ctx.call(() -> notify(Duration.ofSeconds(10)));
    ChangeNotification first = stream.next();
    assertThat(line(first)).isEqualTo("PEER_ADDED 10.0.0.2 node-b");
    assertThat(first.hasTls()).isFalse();
    assertThat(open).hasValue(1);

    ctx.cancel(null);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (open.get() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(open).hasValue(0);
  }

  @Test
  void clusterNamesPrefixPeersOutsideTheDefaultClusterAndDotsBecomeDashesInTlsNames() {
    assertThat(PeerInfo.of("default", "kind-worker", "10.0.0.1", true).name()).isEqualTo("kind-worker");
    PeerInfo p = PeerInfo.of("prod.eu", "ip-10-0-0-1.ec2.internal", "10.0.0.1", true);
    assertThat(p.name()).isEqualTo("prod.eu/ip-10-0-0-1.ec2.internal");
    assertThat(p.tlsServerName()).isEqualTo("ip-10-0-0-1-ec2-internal.prod-eu.hubble-grpc.cilium.io");
    assertThat(PeerInfo.tlsServerName("", "n1")).isEqualTo("n1.default.hubble-grpc.cilium.io");
    assertThat(new PeerInfo("n", "10.0.0.1", null).target()).isEqualTo("10.0.0.1:4244");
    assertThat(new PeerInfo("n", "10.0.0.1:555", null).target()).isEqualTo("10.0.0.1:555");
    assertThat(new PeerInfo("n", "fd00::1", null).target()).isEqualTo("[fd00::1]:4244");
    assertThat(new PeerInfo("n", "[fd00::1]:555", null).target()).isEqualTo("[fd00::1]:555");
  }

  @Test
  void aWatcherKeepsThePeersAndFindsThemAgainAfterTheServiceReturns() throws Exception {
    table.put(PeerInfo.of("", "node-a", "10.0.0.1", false));
    table.put(PeerInfo.of("", "node-b", "10.0.0.2", false));
    serve();
    try (PeerWatcher watcher = new PeerWatcher(channel, Duration.ofMillis(50), Duration.ofMillis(200)).start()) {
      awaitPeers(watcher, "node-a", "node-b");
      assertThat(watcher.connected()).isTrue();
      table.put(PeerInfo.of("", "node-a", "10.0.0.11", false));
      awaitAddress(watcher, "node-a", "10.0.0.11");

      server.shutdownNow().awaitTermination();
      table.remove("node-b"); // while the watcher cannot hear it
      table.put(PeerInfo.of("", "node-c", "10.0.0.3", false));
      server = InProcessServerBuilder.forName(name).addService(new PeerService(table)).build().start();
      awaitPeers(watcher, "node-a", "node-c");
      assertThat(watcher.connected()).isTrue();
    }
  }

  private static void awaitPeers(PeerWatcher w, String... names) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!w.peers().stream().map(PeerInfo::name).toList().equals(List.of(names)) && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(w.peers()).extracting(PeerInfo::name).containsExactly(names);
  }

  private static void awaitAddress(PeerWatcher w, String name, String address) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (w.peers().stream().noneMatch(p -> p.name().equals(name) && p.address().equals(address))
        && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(w.peers()).contains(new PeerInfo(name, address, null));
  }

  private static String line(ChangeNotification n) {
    return n.getType() + " " + n.getAddress() + " " + n.getName();
  }
}
