package io.hexgate.datapath.enforce;

import io.hexgate.datapath.abi.Config;
import io.hexgate.datapath.abi.Settings;
import io.hexgate.datapath.bpf.BpfObject;
import io.hexgate.datapath.maps.JiffiesUpgrade;
import io.hexgate.datapath.maps.KernelConntrack;
import io.hexgate.datapath.pin.BpfFs;
import io.hexgate.datapath.pin.MapMigration;
import java.nio.file.Files;
import java.util.List;

/**
 * The packaged BPF object loaded for a node: on the maps pinned there (adopted from a previous agent, or
 * replaced where their definition changed), its programs pinned beside them, and conntrack configured.
 */
record LoadedObject(BpfObject obj, MapMigration migration, boolean adopted) {

  static LoadedObject load(BpfDatapathOptions options, List<String> programs) {
    BpfFs.ensureMounted(BpfFs.DEFAULT_MOUNT);
    boolean adopted = Files.exists(options.pinDir().resolve("hg_policy"));
    ConntrackOptions cto = options.conntrack();
    BpfObject obj = BpfObject.openPackaged()
        .setReadOnlyData(Settings.CODEC.encode(new Settings(Settings.SETTING_HOST_ROUTING)))
        .setMaxEntries("hg_ct", cto.effectiveMapSize())
        .pinMapsUnder(options.pinDir());
    try {
      // an upgrade that changed a map's definition, or what conntrack entries mean (their clock): new maps
      // beside the old ones, see MapMigration
      MapMigration migration =
          MapMigration.prepare(options.node(), obj, options.pinDir(), JiffiesUpgrade.CONVERSIONS);
      try {
        obj.load();
      } catch (RuntimeException e) {
        migration.rollback();
        throw e;
      }
      migration.copy(obj);
      ProgramPins.replace(obj, options.pinDir(), programs);
      KernelConntrack ct = new KernelConntrack(obj);
      // an adopted map keeps its generation: the connections stamped with it stay valid
      ct.configure(new Config(0, ct.config().generation(), cto.effectiveQuota(), cto.lifetimes()));
      return new LoadedObject(obj, migration, adopted);
    } catch (RuntimeException e) {
      obj.close();
      throw e;
    }
  }

  /** What was loaded on what, for the log. */
  String describe() {
    if (!adopted) {
      return "first start on this node";
    }
    return migration.needed()
        ? "adopted the pinned maps of a previous agent except " + migration.changed().stream()
            .map(MapMigration.Changed::name).toList() + ", created anew; its programs enforce on its maps until the"
            + " first revision"
        : "adopted the pinned maps of a previous agent; its programs enforce until the first revision";
  }
}
