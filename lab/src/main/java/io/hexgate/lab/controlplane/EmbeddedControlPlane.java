package io.hexgate.lab.controlplane;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.hexgate.contract.net.Ipv4;
import io.hexgate.lab.api.LabApiServer;
import io.hexgate.lab.controllers.ClusterInformers;
import io.hexgate.lab.controllers.ClusterIpAllocator;
import io.hexgate.lab.controllers.Events;
import io.hexgate.lab.controllers.LabControllers;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The fallback for a machine that cannot build the real control plane: the home-made API server
 * ({@link LabApiServer}: plain HTTP, no authentication or authorization) and the lab's own controllers and
 * scheduler. Every party gets the same unauthenticated client.
 */
public final class EmbeddedControlPlane implements ControlPlane {
  private final LabApiServer api;
  private final KubernetesClient client;
  private LabControllers controllers;

  private EmbeddedControlPlane(LabApiServer api) {
    this.api = api;
    this.client = api.client();
  }

  public static EmbeddedControlPlane start(List<Path> crdFiles) {
    return new EmbeddedControlPlane(LabApiServer.start(0, crdFiles));
  }

  /**
   * Adds the controllers and the scheduler to {@code informers} (before they start): they place pods on
   * {@code nodes} and allocate ClusterIPs from {@code serviceRange}, keeping {@code reserved} free.
   */
  public void addControllers(ClusterInformers informers, Supplier<List<String>> nodes, String serviceRange, Set<String> reserved, Clock clock) {
    ClusterIpAllocator allocator = new ClusterIpAllocator(Ipv4.Cidr.parse(serviceRange),
        Set.copyOf(reserved.stream().map(Ipv4::parse).toList()));
    controllers = new LabControllers(client, informers, allocator, nodes, new Events(client, "hexgate-lab", clock), clock);
  }

  /** Starts the controllers' periodic work (once their informers have started). */
  public void startControllers() {
    if (controllers != null) {
      controllers.start();
    }
  }

  public LabApiServer api() {
    return api;
  }

  @Override
  public URI url() {
    return URI.create(api.url());
  }

  @Override
  public KubernetesClient admin() {
    return client;
  }

  @Override
  public KubernetesClient node(String name) {
    return client;
  }

  @Override
  public KubernetesClient operator() {
    return client;
  }

  @Override
  public void writeKubeconfig(Path file) {
    api.writeKubeconfig(file);
  }

  @Override
  public String describe() {
    return "the embedded API server (no authentication, no RBAC, the lab's own controllers)";
  }

  @Override
  public boolean embedded() {
    return true;
  }

  @Override
  public void close() {
    if (controllers != null) {
      controllers.close();
    }
    api.close();
  }
}
