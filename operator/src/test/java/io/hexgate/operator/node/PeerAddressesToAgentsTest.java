package io.hexgate.operator.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.hexgate.contract.v1.IpcacheEntry;
import io.hexgate.contract.v1.StateUpdate;
import io.hexgate.operator.policy.PolicyEngine;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What each agent's Hubble peer service needs: every node's peer address (its first InternalIP) carries the
 * node's name in the IP cache every node receives, its own included, and a node whose peer address moves,
 * leaves or arrives is resent in the next delta.
 */
class PeerAddressesToAgentsTest {
  private final NodeAddresses addresses = new NodeAddresses();
  private final NodeStateHub hub = new NodeStateHub("e", 8);

  @BeforeEach
  void wireAsTheOperatorDoes() {
    PolicyEngine engine = StarWars.cluster();
    hub.changed(engine.snapshot(), Set.of());
    addresses.addListener(t -> hub.nodeAddresses(t, addresses.peerAddresses()));
    addresses.upsert(HostIdentityTest.node("node-a", "ExternalIP", "198.51.100.11", "InternalIP", "172.31.0.11"));
    addresses.upsert(HostIdentityTest.node("node-b", "InternalIP", "172.31.0.12", "ExternalIP", "198.51.100.12"));
  }

  private static Map<String, IpcacheEntry> ipcache(StateUpdate u) {
    return u.getUpsertIpcacheList().stream().collect(Collectors.toMap(IpcacheEntry::getPrefix, Function.identity()));
  }

  private StateUpdate snapshot(String node) {
    return hub.find(node).current().state().snapshot("e", 1, true);
  }

  /** The delta {@code change} makes for {@code node}. */
  private StateUpdate deltaOf(String node, Runnable change) {
    NodeRevisions revisions = hub.find(node);
    long before = revisions.current().revision();
    change.run();
    assertThat(revisions.current().revision()).isGreaterThan(before);
    return revisions.current().state().delta(revisions.at(before), "e", before, revisions.current().revision());
  }

  @Test
  void shouldNameEveryNodeAtItsPeerAddressInEveryNodesSnapshot() {
    for (String seenFrom : Set.of("node-a", "node-b")) {
      Map<String, IpcacheEntry> cache = ipcache(snapshot(seenFrom));
      assertThat(cache.get("172.31.0.11/32").getNodeName()).isEqualTo("node-a");
      assertThat(cache.get("172.31.0.12/32").getNodeName()).isEqualTo("node-b");
      // one address per node is its peer address: the InternalIP, wherever it is listed
      assertThat(cache.get("198.51.100.11/32").getNodeName()).isEmpty();
      assertThat(cache.get("198.51.100.12/32").getNodeName()).isEmpty();
      assertThat(cache.values()).filteredOn(e -> !e.getNodeName().isEmpty()).hasSize(2);
    }
    // the names travel with the identities each node sees
    assertThat(ipcache(snapshot("node-a")).get("172.31.0.11/32").getIdentity()).isEqualTo(1L);
    assertThat(ipcache(snapshot("node-a")).get("172.31.0.12/32").getIdentity()).isEqualTo(6L);
    // pods are not nodes
    assertThat(ipcache(snapshot("node-a")).get("10.0.2.11/32").getNodeName()).isEmpty();
  }

  @Test
  void shouldResendANodeWhoseInternalIpChanged() {
    StateUpdate delta = deltaOf("node-a", () -> addresses.upsert(
        HostIdentityTest.node("node-b", "InternalIP", "172.31.0.22", "ExternalIP", "198.51.100.12")));

    assertThat(ipcache(delta).get("172.31.0.22/32").getNodeName()).isEqualTo("node-b");
    assertThat(delta.getRemoveIpcacheList()).containsExactly("172.31.0.12/32");
  }

  @Test
  void shouldResendBothAddressesWhenTheInternalIpBecomesAnotherOfTheSameAddresses() {
    StateUpdate delta = deltaOf("node-a", () -> addresses.upsert(
        HostIdentityTest.node("node-b", "ExternalIP", "172.31.0.12", "InternalIP", "198.51.100.12")));

    Map<String, IpcacheEntry> upserts = ipcache(delta);
    assertThat(upserts.get("198.51.100.12/32").getNodeName()).isEqualTo("node-b");
    assertThat(upserts.get("172.31.0.12/32").getNodeName()).isEmpty();
    assertThat(upserts.get("172.31.0.12/32").getIdentity()).isEqualTo(6L);
    assertThat(delta.getRemoveIpcacheList()).isEmpty();
  }

  @Test
  void shouldNameANodeThatJoinsAndRemoveOneThatLeaves() {
    StateUpdate joined = deltaOf("node-a", () -> addresses.upsert(HostIdentityTest.node("node-c", "InternalIP", "172.31.0.13")));
    assertThat(ipcache(joined).get("172.31.0.13/32").getNodeName()).isEqualTo("node-c");

    StateUpdate left = deltaOf("node-a", () -> addresses.delete("node-b"));
    assertThat(left.getRemoveIpcacheList()).containsExactlyInAnyOrder("172.31.0.12/32", "198.51.100.12/32");
    assertThat(left.getUpsertIpcacheList()).isEmpty();
  }

  @Test
  void shouldAnnounceTheFirstExternalIpOfANodeWithoutInternalIp() {
    StateUpdate delta = deltaOf("node-a", () -> addresses.upsert(
        HostIdentityTest.node("node-c", "ExternalIP", "198.51.100.3", "ExternalIP", "198.51.100.13")));
    assertThat(ipcache(delta).get("198.51.100.3/32").getNodeName()).isEqualTo("node-c");
    assertThat(ipcache(delta).get("198.51.100.13/32").getNodeName()).isEmpty();
  }
}
