package io.hexgate.lab.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.hexgate.operator.MockApi;
import io.hexgate.lab.controllers.ClusterInformers;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class DnsServerTest {
  private static MockApi api;
  private static ClusterInformers informers;
  private static DnsServer server;
  private static int id;

  @BeforeAll
  static void start() throws Exception {
    api = new MockApi();
    KubernetesClient client = api.client();
    client.resource(new ServiceBuilder().withNewMetadata().withName("deathstar").withNamespace("default").endMetadata()
        .withNewSpec().withClusterIP("10.96.12.34").addNewPort().withPort(80).endPort().endSpec().build()).create();
    client.resource(new ServiceBuilder().withNewMetadata().withName("db").withNamespace("data").endMetadata()
        .withNewSpec().withClusterIP("None").addNewPort().withPort(5432).endPort().endSpec().build()).create();
    client.resource(new EndpointSliceBuilder().withNewMetadata().withName("db-abcde").withNamespace("data")
        .addToLabels("kubernetes.io/service-name", "db").endMetadata()
        .withAddressType("IPv4")
        .addNewEndpoint().withAddresses("10.0.2.11").withNewConditions().withReady(true).endConditions().endEndpoint()
        .addNewEndpoint().withAddresses("10.0.1.10").withNewConditions().withReady(true).endConditions().endEndpoint()
        .addNewEndpoint().withAddresses("10.0.1.12").withNewConditions().withReady(false).endConditions().endEndpoint()
        .build()).create();
    informers = new ClusterInformers(client);
    informers.start();
    ClusterDns dns = new ClusterDns("cluster.local", informers.services().getStore(), informers.endpointSlices().getStore());
    server = DnsServer.serve(DnsServer.bind(new InetSocketAddress("127.0.0.1", 0)), dns);
  }

  @AfterAll
  static void stop() {
    server.close();
    informers.close();
    api.close();
  }

  private static DnsMessage.Response ask(String name, int type) throws Exception {
    try (DatagramSocket s = new DatagramSocket()) {
      s.setSoTimeout(2000);
      byte[] q = DnsMessage.query(++id, name, type);
      s.send(new DatagramPacket(q, q.length, server.address()));
      byte[] buf = new byte[1500];
      DatagramPacket reply = new DatagramPacket(buf, buf.length);
      s.receive(reply);
      DnsMessage.Response r = DnsMessage.parseResponse(buf, reply.getLength());
      assertThat(r.id()).isEqualTo(id);
      return r;
    }
  }

  @Test
  void serviceNamesResolveToTheirClusterIp() throws Exception {
    assertThat(ask("deathstar.default.svc.cluster.local", DnsMessage.TYPE_A))
        .isEqualTo(new DnsMessage.Response(id, DnsMessage.RCODE_OK, java.util.List.of("10.96.12.34")));
    assertThat(ask("DeathStar.Default.svc.cluster.local", DnsMessage.TYPE_A).addresses()).containsExactly("10.96.12.34");
  }

  @Test
  void aaaaOfAnExistingNameIsAnEmptyAnswerNotAnError() throws Exception {
    DnsMessage.Response r = ask("deathstar.default.svc.cluster.local", DnsMessage.TYPE_AAAA);
    assertThat(r.rcode()).isEqualTo(DnsMessage.RCODE_OK);
    assertThat(r.addresses()).isEmpty();
  }

  @Test
  void namesASearchListTriesFirstDoNotExist() throws Exception {
    // resolv.conf's search list with ndots:5 asks these before the name itself
    assertThat(ask("deathstar.default.svc.cluster.local.default.svc.cluster.local", DnsMessage.TYPE_A).rcode())
        .isEqualTo(DnsMessage.RCODE_NAME_ERROR);
    assertThat(ask("deathstar.svc.cluster.local", DnsMessage.TYPE_A).rcode()).isEqualTo(DnsMessage.RCODE_NAME_ERROR);
    assertThat(ask("tiefighter.default.svc.cluster.local", DnsMessage.TYPE_A).rcode()).isEqualTo(DnsMessage.RCODE_NAME_ERROR);
    assertThat(ask("default.svc.cluster.local", DnsMessage.TYPE_A).rcode()).isEqualTo(DnsMessage.RCODE_OK);
  }

  @Test
  void headlessServicesResolveToReadyEndpoints() throws Exception {
    assertThat(ask("db.data.svc.cluster.local", DnsMessage.TYPE_A).addresses()).containsExactly("10.0.1.10", "10.0.2.11");
  }

  @Test
  void namesOutsideTheZoneAreRefused() throws Exception {
    assertThat(ask("example.com", DnsMessage.TYPE_A).rcode()).isEqualTo(DnsMessage.RCODE_REFUSED);
  }

  @Test
  void newServicesResolveWithoutRestart() throws Exception {
    api.client().resource(new ServiceBuilder().withNewMetadata().withName("late").withNamespace("default").endMetadata()
        .withNewSpec().withClusterIP("10.96.0.77").addNewPort().withPort(80).endPort().endSpec().build()).create();
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
        assertThat(ask("late.default.svc.cluster.local", DnsMessage.TYPE_A).addresses()).containsExactly("10.96.0.77"));
  }

  @Test
  void malformedQueriesGetFormatError() throws Exception {
    try (DatagramSocket s = new DatagramSocket()) {
      s.setSoTimeout(2000);
      byte[] q = DnsMessage.query(7, "deathstar.default.svc.cluster.local", DnsMessage.TYPE_A);
      byte[] cut = java.util.Arrays.copyOf(q, 20);
      s.send(new DatagramPacket(cut, cut.length, server.address()));
      byte[] buf = new byte[1500];
      DatagramPacket reply = new DatagramPacket(buf, buf.length);
      s.receive(reply);
      assertThat(buf[3] & 0xf).isEqualTo(DnsMessage.RCODE_FORMAT_ERROR);
      assertThat(((buf[0] & 0xff) << 8) | buf[1] & 0xff).isEqualTo(7);
    }
  }
}
