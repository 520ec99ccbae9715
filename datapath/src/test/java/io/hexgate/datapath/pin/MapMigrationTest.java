package io.hexgate.datapath.pin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hexgate.datapath.abi.Config;
import io.hexgate.datapath.abi.CtFlags;
import io.hexgate.datapath.abi.CtKey;
import io.hexgate.datapath.abi.CtLifetimes;
import io.hexgate.datapath.abi.CtValue;
import io.hexgate.datapath.abi.Directions;
import io.hexgate.datapath.abi.Protocols;
import io.hexgate.datapath.abi.ScalarCodecs;
import io.hexgate.datapath.bpf.BpfException;
import io.hexgate.datapath.bpf.BpfMap;
import io.hexgate.datapath.bpf.BpfObject;
import io.hexgate.datapath.bpf.BpfSupport;
import io.hexgate.datapath.bpf.JiffiesClock;
import io.hexgate.datapath.bpf.MapDefinition;
import io.hexgate.datapath.bpf.TypedMap;
import io.hexgate.datapath.maps.JiffiesUpgrade;
import io.hexgate.datapath.sys.LibC;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Pinned maps whose definition is not the object's: moved aside, recreated, filled, removed (root only). */
class MapMigrationTest {
  private static final int BPF_MAP_TYPE_HASH = 1;
  private static final int BPF_MAP_TYPE_LRU_HASH = 9;
  private static final int BPF_MAP_TYPE_SOCKMAP = 15;
  private static final int BPF_F_MMAPABLE = 1 << 10;
  private final Path dir = Path.of("/sys/fs/bpf/hgb-migrate-" + ProcessHandle.current().pid());

  @BeforeAll
  static void needsRoot() {
    BpfSupport.loadOrSkip().close();
    BpfFs.ensureMounted(BpfFs.DEFAULT_MOUNT);
  }

  @AfterEach
  void removePins() throws IOException {
    if (Files.exists(dir)) {
      try (Stream<Path> s = Files.walk(dir)) {
        for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  private static byte[] bytes(int n, int fill) {
    byte[] b = new byte[n];
    Arrays.fill(b, (byte) fill);
    return b;
  }

  /** Pins a map of another definition at dir/name, as an older build would have left it. */
  private void replace(String name, UnaryOperator<MapDefinition> change, byte[]... entry) {
    Path pin = dir.resolve(name);
    MapDefinition to = change.apply(MapDefinition.ofPinned(pin.toString()));
    BpfMap m = BpfMap.create(name, to);
    try {
      if (entry.length == 2) {
        m.update(entry[0], entry[1]);
      }
      Files.delete(pin);
      m.pin(pin.toString());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } finally {
      m.closeFd();
    }
  }

  @Test
  void changedMapsAreRecreatedAndFilledWhereTheirEntriesFitWhileTheOthersAreAdopted() throws Exception {
    MapDefinition ct;
    MapDefinition endpoints;
    try (BpfObject first = BpfObject.openPackaged().pinMapsUnder(dir).load()) {
      ct = first.map("hg_ct").definition();
      endpoints = first.map("hg_endpoints").definition();
      first.map("hg_services").update(bytes(first.map("hg_services").keySize(), 7), bytes(first.map("hg_services").valueSize(), 8));
    }
    assertThat(ct.type()).isEqualTo(BPF_MAP_TYPE_HASH);
    byte[] k1 = bytes(ct.keySize(), 1);
    byte[] v1 = bytes(ct.valueSize(), 2);
    replace("hg_ct", d -> new MapDefinition(BPF_MAP_TYPE_LRU_HASH, d.keySize(), d.valueSize(), 1024, 0, 0), k1, v1);
    replace("hg_endpoints", d -> new MapDefinition(d.type(), d.keySize(), d.valueSize() + 8, d.maxEntries(), 0, 0));

    // what libbpf alone does with them: refuses the load
    try (BpfObject plain = BpfObject.openPackaged().pinMapsUnder(dir)) {
      assertThatThrownBy(plain::load).isInstanceOf(BpfException.class);
    }

    // a load that fails after the pins moved aside puts them back
    try (BpfObject failing = BpfObject.openPackaged().pinMapsUnder(dir)) {
      MapMigration m = MapMigration.prepare("n", failing, dir);
      assertThat(m.changed()).extracting(MapMigration.Changed::name).containsExactlyInAnyOrder("hg_ct", "hg_endpoints");
      assertThat(dir.resolve("hg_ct")).doesNotExist();
      assertThat(dir.resolve("previous/hg_ct")).exists();
      m.rollback();
      assertThat(MapDefinition.ofPinned(dir.resolve("hg_ct").toString()).type()).isEqualTo(BPF_MAP_TYPE_LRU_HASH);
      assertThat(MapDefinition.ofPinned(dir.resolve("hg_endpoints").toString()).valueSize()).isEqualTo(endpoints.valueSize() + 8);
    }

    try (BpfObject next = BpfObject.openPackaged().pinMapsUnder(dir)) {
      MapMigration m = MapMigration.prepare("n", next, dir);
      next.load();
      m.copy(next);
      assertThat(next.map("hg_ct").definition()).isEqualTo(ct);
      assertThat(next.map("hg_ct").lookup(k1)).isEqualTo(v1); // the layout allowed: copied
      assertThat(next.map("hg_endpoints").definition()).isEqualTo(endpoints);
      assertThat(next.map("hg_endpoints").keys()).isEmpty(); // it did not: empty, for the revision to fill
      assertThat(next.map("hg_services").keys()).hasSize(1); // unchanged: adopted with its contents

      // the old programs add a connection before the new ones take over: carried over, absent keys only
      byte[] k2 = bytes(ct.keySize(), 3);
      BpfMap old = BpfMap.openPinned(dir.resolve("previous/hg_ct").toString());
      try {
        old.update(k2, bytes(ct.valueSize(), 4));
        old.update(k1, bytes(ct.valueSize(), 9)); // the new map has its own entry for k1 already
      } finally {
        old.closeFd();
      }
      assertThat(m.finish(next, Set.of("hg_ct"))).isEqualTo(1);
      assertThat(next.map("hg_ct").lookup(k2)).isEqualTo(bytes(ct.valueSize(), 4));
      assertThat(next.map("hg_ct").lookup(k1)).isEqualTo(v1);
      assertThat(dir.resolve(MapMigration.PREVIOUS)).doesNotExist();
      assertThat(m.finish(next, Set.of("hg_ct"))).isZero();
    }

    // the next agent finds every pin as this build defines it: nothing to migrate
    try (BpfObject again = BpfObject.openPackaged().pinMapsUnder(dir)) {
      assertThat(MapMigration.prepare("n", again, dir).needed()).isFalse();
      again.load();
    }
  }

  /** CLOCK_MONOTONIC_COARSE in ns: the CT clock of the builds before jiffies. */
  private static long coarseNanos() {
    long[] ts = new long[2];
    assertThat(LibC.get().clock_gettime(6, ts)).isZero();
    return ts[0] * 1_000_000_000L + ts[1];
  }

  private static CtValue connection(long expires) {
    return new CtValue(3, 4, 0, 0, CtFlags.CT_SEEN_NON_SYN, 7, 300, expires, 1, 0);
  }

  /**
   * The upgrade from a build whose CT expiries were nanoseconds (its hg_config had no hz, 32 bytes): hg_ct
   * keeps its definition but is replaced too, its entries converted to jiffies as they are copied, so that
   * the connections live as long as they had left (read as jiffies, they would never expire); hg_config's
   * fields are carried into the longer layout, the policy generation above all.
   */
  @Test
  void conntrackEntriesOfTheBuildBeforeJiffiesAreCarriedOverInJiffies() {
    MapDefinition ct;
    try (BpfObject first = BpfObject.openPackaged().pinMapsUnder(dir).load()) {
      ct = first.map("hg_ct").definition();
    }
    Config config = new Config(Config.CONFIG_NO_CT_CREATE, 57, 4096, CtLifetimes.DEFAULT);
    replace("hg_config", d -> new MapDefinition(d.type(), d.keySize(), Config.SIZE_BEFORE_JIFFIES,
        d.maxEntries(), d.flags(), 0), ScalarCodecs.U32.encode(0),
        Arrays.copyOf(Config.CODEC.encode(config), Config.SIZE_BEFORE_JIFFIES));
    CtKey live = new CtKey(1, 2, 10, 80, Protocols.PROTO_TCP, Directions.DIR_INGRESS);
    CtKey expired = new CtKey(1, 2, 11, 80, Protocols.PROTO_TCP, Directions.DIR_INGRESS);
    CtKey later = new CtKey(1, 2, 12, 80, Protocols.PROTO_TCP, Directions.DIR_INGRESS);
    BpfMap pinnedCt = BpfMap.openPinned(dir.resolve("hg_ct").toString());
    long putLive;
    try {
      TypedMap<CtKey, CtValue> old = pinnedCt.typed(CtKey.CODEC, CtValue.CODEC);
      old.put(live, connection(coarseNanos() + 100_000_000_000L));
      // loading the next build may take seconds on a busy machine: the entry's life runs meanwhile
      putLive = System.nanoTime();
      old.put(expired, connection(coarseNanos() - 5_000_000_000L));
    } finally {
      pinnedCt.closeFd();
    }

    try (BpfObject next = BpfObject.openPackaged().pinMapsUnder(dir)) {
      MapMigration m = MapMigration.prepare("n", next, dir, JiffiesUpgrade.CONVERSIONS);
      assertThat(m.changed()).extracting(MapMigration.Changed::name).containsExactlyInAnyOrder("hg_config", "hg_ct");
      assertThat(m.changed()).filteredOn(c -> c.name().equals("hg_ct")).singleElement()
          .satisfies(c -> assertThat(c.from()).isEqualTo(c.to()).isEqualTo(ct));
      assertThat(m.changed()).allSatisfy(c -> assertThat(c.entriesFit()).isTrue());
      next.load();
      m.copy(next);
      assertThat(next.map("hg_config").typed(ScalarCodecs.U32, Config.CODEC).get(0)).contains(config);
      JiffiesClock clock = new JiffiesClock(next);
      long hz = clock.hz();
      long now = clock.now();
      Map<CtKey, CtValue> e = next.map("hg_ct").typed(CtKey.CODEC, CtValue.CODEC).entries();
      long aged = (System.nanoTime() - putLive) * hz / 1_000_000_000L;
      assertThat(e.get(live).expires()).isBetween(now + 100 * hz - aged - 2 * hz, now + 100 * hz);
      assertThat(e.get(live).withExpires(0)).as("the next packet renews it").isEqualTo(connection(0).withRenew(0xffff_ffffL));
      assertThat(e.get(expired).expiredAt(now)).isTrue();

      // the old programs record a connection before the new ones take over, in nanoseconds: converted too
      BpfMap oldCt = BpfMap.openPinned(dir.resolve("previous/hg_ct").toString());
      try {
        oldCt.typed(CtKey.CODEC, CtValue.CODEC).put(later, connection(coarseNanos() + 10_000_000_000L));
        putLive = System.nanoTime();
      } finally {
        oldCt.closeFd();
      }
      assertThat(m.finish(next, Set.of("hg_ct"))).isEqualTo(1);
      now = clock.now();
      aged = (System.nanoTime() - putLive) * hz / 1_000_000_000L;
      assertThat(next.map("hg_ct").typed(CtKey.CODEC, CtValue.CODEC).get(later).orElseThrow().expires())
          .isBetween(now + 10 * hz - aged - 2 * hz, now + 10 * hz);
    }

    // this build's pins: nothing to convert, nothing to migrate
    try (BpfObject again = BpfObject.openPackaged().pinMapsUnder(dir)) {
      assertThat(MapMigration.prepare("n", again, dir, JiffiesUpgrade.CONVERSIONS).needed()).isFalse();
      again.load();
    }
  }

  /**
   * The upgrade from a build whose hg_config was an ARRAY map (looked up per packet) to the global variable
   * (libbpf's map of its own section, mmapable): replaced, its value carried, so that the policy generation
   * goes on where it was; the next agent adopts the new pin.
   */
  @Test
  void configOfTheBuildWithAnArrayMapIsCarriedIntoTheGlobal() {
    MapDefinition ours;
    try (BpfObject first = BpfObject.openPackaged().pinMapsUnder(dir).load()) {
      ours = first.map("hg_config").definition();
    }
    assertThat(ours.flags() & BPF_F_MMAPABLE).isNotZero();
    Config config = new Config(0, 57, 4096, CtLifetimes.DEFAULT).withHz(250);
    replace("hg_config", d -> new MapDefinition(d.type(), d.keySize(), d.valueSize(), d.maxEntries(), 0, 0),
        ScalarCodecs.U32.encode(0), Config.CODEC.encode(config));

    try (BpfObject next = BpfObject.openPackaged().pinMapsUnder(dir)) {
      MapMigration m = MapMigration.prepare("n", next, dir, JiffiesUpgrade.CONVERSIONS);
      assertThat(m.changed()).singleElement().satisfies(c -> {
        assertThat(c.name()).isEqualTo("hg_config");
        assertThat(c.entriesFit()).isTrue();
      });
      next.load();
      m.copy(next);
      m.finish(next, Set.of("hg_ct"));
      assertThat(next.map("hg_config").typed(ScalarCodecs.U32, Config.CODEC).get(0)).contains(config);
    }
    assertThat(MapDefinition.ofPinned(dir.resolve("hg_config").toString())).isEqualTo(ours);
    try (BpfObject again = BpfObject.openPackaged().pinMapsUnder(dir)) {
      assertThat(MapMigration.prepare("n", again, dir, JiffiesUpgrade.CONVERSIONS).needed()).isFalse();
      again.load();
      assertThat(again.map("hg_config").typed(ScalarCodecs.U32, Config.CODEC).get(0)).contains(config);
    }
  }

  /**
   * The proxy's SOCKMAP: pins of a build without it get it created beside them; a changed one is replaced
   * empty, its sockets never copied (a lookup reads a socket's cookie, not an fd): the proxy registers its
   * listeners again.
   */
  @Test
  void proxySocketsAreCreatedOrReplacedButNeverCopied() throws Exception {
    try (BpfObject first = BpfObject.openPackaged().pinMapsUnder(dir).load()) {
      assertThat(first.map("hg_proxy_sockets").definition().type()).isEqualTo(BPF_MAP_TYPE_SOCKMAP);
    }
    Files.delete(dir.resolve("hg_proxy_sockets")); // as a build before the proxy left its pins
    try (BpfObject next = BpfObject.openPackaged().pinMapsUnder(dir)) {
      assertThat(MapMigration.prepare("n", next, dir).needed()).isFalse();
      next.load();
      assertThat(dir.resolve("hg_proxy_sockets")).exists();
    }

    EpollEventLoopGroup group = new EpollEventLoopGroup(1);
    try {
      EpollServerSocketChannel listener = (EpollServerSocketChannel) new ServerBootstrap().group(group)
          .channel(EpollServerSocketChannel.class).childHandler(new ChannelInboundHandlerAdapter())
          .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
      byte[] fd = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putLong(listener.fd().intValue()).array();
      replace("hg_proxy_sockets", d -> new MapDefinition(d.type(), d.keySize(), d.valueSize(), 4, 0, 0),
          bytes(4, 0), fd);
      try (BpfObject next = BpfObject.openPackaged().pinMapsUnder(dir)) {
        MapMigration m = MapMigration.prepare("n", next, dir);
        assertThat(m.changed()).singleElement().satisfies(c -> {
          assertThat(c.name()).isEqualTo("hg_proxy_sockets");
          assertThat(c.entriesFit()).isFalse();
        });
        next.load();
        m.copy(next);
        assertThat(next.map("hg_proxy_sockets").definition().maxEntries()).isEqualTo(2);
        // a SOCKMAP's keys are its slots, full or not: a lookup finds a socket (its cookie) or nothing
        BpfMap old = BpfMap.openPinned(dir.resolve("previous/hg_proxy_sockets").toString());
        try {
          assertThat(old.lookup(bytes(4, 0))).isNotNull();
        } finally {
          old.closeFd();
        }
        assertThat(next.map("hg_proxy_sockets").lookup(bytes(4, 0))).isNull();
        m.finish(next, Set.of("hg_ct"));
      }
      listener.close().sync();
    } finally {
      group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).sync();
    }
  }

  @Test
  void entriesFitOnlyTheSameSizesInTheSameKindOfContainer() {
    MapDefinition lru = new MapDefinition(BPF_MAP_TYPE_LRU_HASH, 16, 32, 1000, 0, 0);
    assertThat(lru.entriesFit(new MapDefinition(BPF_MAP_TYPE_HASH, 16, 32, 10, 1, 0))).isTrue();
    assertThat(lru.entriesFit(new MapDefinition(BPF_MAP_TYPE_HASH, 16, 40, 1000, 0, 0))).isFalse();
    assertThat(lru.entriesFit(new MapDefinition(5 /* PERCPU_HASH */, 16, 32, 1000, 0, 0))).isFalse();
    assertThat(new MapDefinition(27 /* RINGBUF */, 0, 0, 4096, 0, 0).entriesFit(new MapDefinition(27, 0, 0, 8192, 0, 0))).isFalse();
    assertThat(lru.differences(new MapDefinition(BPF_MAP_TYPE_HASH, 16, 40, 1000, 0, 0)))
        .isEqualTo("type 9 -> 1, value size 32 -> 40");
  }
}
