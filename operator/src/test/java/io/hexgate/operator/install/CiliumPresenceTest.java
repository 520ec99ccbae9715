package io.hexgate.operator.install;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder;
import io.hexgate.operator.HexgateOperator;
import io.hexgate.operator.MockApi;
import io.hexgate.operator.MutableClock;
import io.hexgate.operator.TestOperator;
import io.hexgate.operator.identity.api.CiliumIdentity;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The operator does not start where Cilium runs, and writes nothing there. */
class CiliumPresenceTest {
  private final MockApi api = new MockApi();

  @AfterEach
  void close() {
    api.close();
  }

  @Test
  void refusesToStartBesideCiliumAndWritesNothing() {
    api.client().resource(new CustomResourceDefinitionBuilder()
            .withNewMetadata().withName(CiliumPresence.CILIUM_ONLY_CRD).endMetadata()
            .withNewSpec().withGroup("cilium.io").withScope("Cluster")
            .withNewNames().withKind("CiliumNode").withPlural("ciliumnodes").endNames()
            .addNewVersion().withName("v2").withServed(true).withStorage(true).endVersion()
            .endSpec()
            .build())
        .create();
    HexgateOperator operator = HexgateOperator.create(TestOperator.config(api.client(), new MutableClock()).build());
    try {
      assertThatThrownBy(operator::start)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("Cilium is installed on this cluster (the CRD ciliumnodes.cilium.io exists)");
      assertThat(operator.isLeader()).isFalse();
      assertThat(api.client().resources(CiliumIdentity.class).list().getItems()).isEmpty();
    } finally {
      operator.stop();
    }
  }

  @Test
  void startsWhereCiliumIsAbsent() {
    HexgateOperator operator = HexgateOperator.create(TestOperator.config(api.client(), new MutableClock()).build());
    try {
      operator.start();
      assertThat(operator.isLeader()).isTrue();
    } finally {
      operator.stop();
    }
  }
}
