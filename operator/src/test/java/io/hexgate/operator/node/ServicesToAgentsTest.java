package io.hexgate.operator.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.hexgate.contract.testing.TestingAgent;
import io.hexgate.contract.v1.ServiceState;
import io.hexgate.contract.v1.StateUpdate;
import io.hexgate.operator.HexgateOperator;
import io.hexgate.operator.MockApi;
import io.hexgate.operator.MutableClock;
import io.hexgate.operator.TestOperator;
import io.hexgate.operator.service.ServiceTableTest;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Services and EndpointSlices on the mock API reach every node's agent, over mutual TLS: the frontends in
 * the snapshot, backends and removals in deltas.
 */
class ServicesToAgentsTest {
  private static final Duration WAIT = Duration.ofSeconds(15);

  private final MockApi api = new MockApi();
  private final KubernetesClient kube = api.client();
  private HexgateOperator operator;
  private TlsAgentPort port;

  @BeforeEach
  void start() {
    operator = TestOperator.create(api.client(), new MutableClock());
    port = new TlsAgentPort(operator.agentService());
    operator.start();
  }

  @AfterEach
  void stop() {
    port.close();
    operator.stop();
    api.close();
  }

  @Test
  void shouldSendEveryNodeTheClusterIpFrontendsWithTheirReadyBackends() {
    kube.resource(ServiceTableTest.clusterIp("web", "10.96.0.20", "http", 80, "web-http")).create();
    kube.resource(ServiceTableTest.clusterIp("db", "None", "sql", 5432, "5432")).create(); // headless
    kube.resource(ServiceTableTest.slice("web-abc", "web", "http", 8080, true, false)).create();
    TestingAgent a = new TestingAgent("node-a").connect(port.channelFor("node-a"));

    await().atMost(WAIT).untilAsserted(() -> {
      assertThat(a.services).containsOnlyKeys("10.96.0.20:80/TCP");
      ServiceState web = a.services.get("10.96.0.20:80/TCP");
      assertThat(web.getService()).isEqualTo("default/web");
      assertThat(web.getPortName()).isEqualTo("http");
      assertThat(web.getBackendsList()).extracting(b -> b.getIp() + ":" + b.getPort()).containsExactly("10.0.1.1:8080");
    });
    TestingAgent b = new TestingAgent("node-b").connect(port.channelFor("node-b"));
    await().atMost(WAIT).untilAsserted(() -> assertThat(b.services).containsOnlyKeys("10.96.0.20:80/TCP"));
    int before = a.updates.size();

    // the second endpoint becomes ready: a delta with the service's new backends
    EndpointSlice ready = ServiceTableTest.slice("web-abc", "web", "http", 8080, true, true);
    kube.resource(ready).update();
    await().atMost(WAIT).untilAsserted(() ->
        assertThat(a.services.get("10.96.0.20:80/TCP").getBackendsList()).hasSize(2));
    assertThat(a.updates.subList(before, a.updates.size()))
        .anySatisfy(u -> {
          assertThat(u.getSnapshot()).isFalse();
          assertThat(u.getUpsertServicesList()).hasSize(1);
        });

    kube.resources(io.fabric8.kubernetes.api.model.Service.class).inNamespace("default").withName("web").delete();
    await().atMost(WAIT).untilAsserted(() -> {
      assertThat(a.services).isEmpty();
      assertThat(b.services).isEmpty();
    });
    StateUpdate last = a.updates.get(a.updates.size() - 1);
    assertThat(last.getRemoveServicesList()).extracting(f -> f.getIp() + ":" + f.getPort()).containsExactly("10.96.0.20:80");
    assertThat(a.applied).isEqualTo(last.getRevision());
  }
}
