package io.hexgate.operator.identity;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.hexgate.operator.MockApi;
import io.hexgate.operator.MutableClock;
import io.hexgate.operator.identity.api.CiliumIdentity;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** CiliumIdentity allocation against the mock API server: races, restart, garbage collection. */
class CrdIdentityAllocatorTest {
  private final MockApi api = new MockApi();
  private final MutableClock clock = new MutableClock();

  @AfterEach
  void close() {
    api.close();
  }

  private static Labels labels(String ns, String app) {
    return Labels.of(
        Label.k8s("app", app),
        Label.k8s(SecurityLabels.NAMESPACE, ns),
        Label.k8s(SecurityLabels.SERVICE_ACCOUNT, "default"),
        Label.k8s(SecurityLabels.CLUSTER, "default"));
  }

  private CrdIdentityAllocator allocator(KubernetesClient client) {
    CrdIdentityAllocator a = new CrdIdentityAllocator(client, clock, Duration.ofMinutes(1));
    a.load();
    return a;
  }

  @Test
  void shouldWriteOneObjectPerLabelSetWithCiliumsLayout() {
    KubernetesClient client = api.client();
    CrdIdentityAllocator a = allocator(client);

    long web = a.allocate(labels("shop", "web"));
    long again = a.allocate(labels("shop", "web"));
    long db = a.allocate(labels("shop", "db"));

    assertThat(web).isEqualTo(256);
    assertThat(again).isEqualTo(web);
    assertThat(db).isEqualTo(257);
    CiliumIdentity ci = client.resources(CiliumIdentity.class).withName("256").get();
    assertThat(ci.getMetadata().getLabels()).containsExactly(Map.entry(SecurityLabels.NAMESPACE, "shop"));
    assertThat(ci.securityLabels)
        .containsEntry("k8s:app", "web")
        .containsEntry("k8s:io.kubernetes.pod.namespace", "shop")
        .containsEntry("k8s:io.cilium.k8s.policy.cluster", "default")
        .hasSize(4);
  }

  @Test
  void shouldAllocateNoDuplicateWhenTwoReplicasRace() throws Exception {
    List<Labels> sets = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      sets.add(labels("ns" + (i % 3), "app" + i));
    }
    CrdIdentityAllocator first = allocator(api.client());
    CrdIdentityAllocator second = allocator(api.client());
    Map<Labels, Long> byFirst = new ConcurrentHashMap<>();
    Map<Labels, Long> bySecond = new ConcurrentHashMap<>();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> work = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        CrdIdentityAllocator a = t % 2 == 0 ? first : second;
        Map<Labels, Long> out = t % 2 == 0 ? byFirst : bySecond;
        List<Labels> order = new ArrayList<>(sets);
        Collections.shuffle(order, new Random(t));
        work.add(pool.submit(() -> order.forEach(l -> out.merge(l, a.allocate(l), (x, y) -> {
          assertThat(x).isEqualTo(y);
          return x;
        }))));
      }
      for (Future<?> f : work) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }

    assertThat(byFirst).isEqualTo(bySecond).hasSize(40);
    assertThat(Set(byFirst.values())).hasSize(40);
    List<CiliumIdentity> objects = api.client().resources(CiliumIdentity.class).list().getItems();
    assertThat(objects).hasSize(40);
    Map<Labels, Long> stored =
        objects.stream()
            .collect(Collectors.toMap(CrdIdentityAllocator::labelsOf, o -> Long.parseLong(o.getMetadata().getName())));
    assertThat(stored).isEqualTo(byFirst);
  }

  private static java.util.Set<Long> Set(java.util.Collection<Long> c) {
    return new java.util.HashSet<>(c);
  }

  @Test
  void shouldKeepNumbersAcrossRestart() {
    CrdIdentityAllocator before = allocator(api.client());
    long a = before.allocate(labels("x", "a"));
    long b = before.allocate(labels("x", "b"));

    CrdIdentityAllocator after = allocator(api.client());

    assertThat(after.allocate(labels("x", "b"))).isEqualTo(b);
    assertThat(after.allocate(labels("x", "a"))).isEqualTo(a);
    assertThat(after.allocate(labels("x", "c"))).isEqualTo(258);
  }

  @Test
  void shouldMarkUnusedIdentityThenDeleteItAfterTheGracePeriod() {
    KubernetesClient client = api.client();
    CrdIdentityAllocator a = allocator(client);
    long kept = a.allocate(labels("x", "kept"));
    long dropped = a.allocate(labels("x", "dropped"));
    a.release(dropped, labels("x", "dropped"));

    assertThat(a.collect().marked()).containsExactly(dropped);
    assertThat(client.resources(CiliumIdentity.class).withName(Long.toString(dropped)).get().getMetadata().getAnnotations())
        .containsKey(CrdIdentityAllocator.HEARTBEAT);
    clock.advance(Duration.ofSeconds(59));
    assertThat(a.collect().deleted()).isEmpty();
    clock.advance(Duration.ofSeconds(1));

    assertThat(a.collect().deleted()).containsExactly(dropped);
    assertThat(client.resources(CiliumIdentity.class).withName(Long.toString(dropped)).get()).isNull();
    assertThat(client.resources(CiliumIdentity.class).withName(Long.toString(kept)).get()).isNotNull();
  }

  @Test
  void shouldUnmarkAnIdentityUsedAgain() {
    KubernetesClient client = api.client();
    CrdIdentityAllocator a = allocator(client);
    long id = a.allocate(labels("x", "a"));
    a.release(id, labels("x", "a"));
    a.collect();

    assertThat(a.allocate(labels("x", "a"))).isEqualTo(id);

    assertThat(client.resources(CiliumIdentity.class).withName(Long.toString(id)).get().getMetadata().getAnnotations())
        .doesNotContainKey(CrdIdentityAllocator.HEARTBEAT);
    clock.advance(Duration.ofHours(1));
    assertThat(a.collect().deleted()).isEmpty();
  }
}
