package io.hexgate.operator.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.hexgate.contract.v1.ServiceState;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

public class ServiceTableTest {
  private final ServiceTable table = new ServiceTable();
  private final List<Services> heard = new ArrayList<>();

  {
    table.addListener(heard::add);
  }

  public static Service clusterIp(String name, String ip, String portName, int port, String targetPort) {
    return new ServiceBuilder()
        .withNewMetadata().withNamespace("default").withName(name).endMetadata()
        .withNewSpec().withType("ClusterIP").withClusterIP(ip).withClusterIPs(ip)
        .addNewPort().withName(portName).withPort(port).withProtocol("TCP").withTargetPort(new IntOrString(targetPort)).endPort()
        .endSpec()
        .build();
  }

  public static EndpointSlice slice(String name, String service, String portName, int port, Boolean... ready) {
    EndpointSliceBuilder b =
        new EndpointSliceBuilder()
            .withNewMetadata().withNamespace("default").withName(name)
            .addToLabels(ServiceTable.SERVICE_NAME_LABEL, service).endMetadata()
            .withAddressType("IPv4")
            .addNewPort().withName(portName).withPort(port).withProtocol("TCP").endPort();
    for (int i = 0; i < ready.length; i++) {
      b.addNewEndpoint().withAddresses("10.0.1." + (i + 1)).withNewConditions().withReady(ready[i]).endConditions().endEndpoint();
    }
    return b.build();
  }

  private ServiceState only() {
    assertThat(table.current().byFrontend()).hasSize(1);
    return table.current().byFrontend().values().iterator().next();
  }

  @Test
  void shouldResolveANamedTargetPortThroughTheSlicesPortOfTheSameNameWithReadyBackendsOnly() {
    table.upsertService(clusterIp("web", "10.96.0.20", "http", 80, "web-http"));
    table.upsertSlice(slice("web-abc", "web", "http", 8080, true, false, null));

    ServiceState s = only();
    assertThat(Services.key(s.getFrontend())).isEqualTo("10.96.0.20:80/TCP");
    assertThat(s.getService()).isEqualTo("default/web");
    assertThat(s.getPortName()).isEqualTo("http");
    // ready, and ready unknown (nil) which counts as ready; not the one marked not ready
    assertThat(s.getBackendsList()).extracting(b -> b.getIp() + ":" + b.getPort())
        .containsExactly("10.0.1.1:8080", "10.0.1.3:8080");
  }

  @Test
  void shouldIgnoreSlicePortsOfAnotherNameAndMergeSeveralSlices() {
    table.upsertService(clusterIp("web", "10.96.0.20", "http", 80, "8080"));
    table.upsertSlice(slice("web-abc", "web", "metrics", 9090, true));
    assertThat(only().getBackendsList()).isEmpty();
    table.upsertSlice(slice("web-def", "web", "http", 8080, true));
    table.upsertSlice(slice("web-ghi", "web", "http", 8081, true));
    assertThat(only().getBackendsList()).extracting(b -> b.getIp() + ":" + b.getPort())
        .containsExactly("10.0.1.1:8080", "10.0.1.1:8081");
    table.deleteSlice("default", "web-ghi");
    assertThat(only().getBackendsList()).extracting(b -> b.getIp() + ":" + b.getPort()).containsExactly("10.0.1.1:8080");
  }

  @Test
  void shouldMoveASliceRelabelledToAnotherService() {
    table.upsertService(clusterIp("web", "10.96.0.20", "http", 80, "8080"));
    table.upsertService(clusterIp("api", "10.96.0.21", "http", 80, "8080"));
    table.upsertSlice(slice("s-1", "web", "http", 8080, true));
    table.upsertSlice(slice("s-1", "api", "http", 8080, true));
    assertThat(table.current().byFrontend().get("10.96.0.20:80/TCP").getBackendsList()).isEmpty();
    assertThat(table.current().byFrontend().get("10.96.0.21:80/TCP").getBackendsList()).hasSize(1);
  }

  @Test
  void shouldGiveHeadlessAndExternalNameServicesNoFrontend() {
    table.upsertService(clusterIp("headless", "None", "http", 80, "80"));
    Service external =
        new ServiceBuilder()
            .withNewMetadata().withNamespace("default").withName("ext").endMetadata()
            .withNewSpec().withType("ExternalName").withExternalName("example.org").endSpec()
            .build();
    table.upsertService(external);
    table.upsertSlice(slice("headless-abc", "headless", "http", 80, true));
    assertThat(table.current().byFrontend()).isEmpty();
    assertThat(heard).isEmpty();
  }

  @Test
  void shouldDropAServicesFrontendsWhenItGoesAndTellOnlyOnChange() {
    table.upsertService(clusterIp("web", "10.96.0.20", "http", 80, "8080"));
    table.upsertService(clusterIp("web", "10.96.0.20", "http", 80, "8080"));
    assertThat(heard).hasSize(1);
    table.deleteService("default", "web");
    assertThat(table.current().byFrontend()).isEmpty();
    assertThat(heard).hasSize(2);
  }
}
