package dev.runstream.schemas;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;

/**
 * A schema registry held in memory, for unit tests and topology tests that must not need a server.
 * Ids start at 1 and are shared across subjects, as in the real registry. Compatibility is
 * BACKWARD: the new schema must read data written with the latest version.
 *
 * <p>Thread-safe.
 */
public final class InMemorySchemaRegistry implements SchemaRegistry {
  private final Map<String, List<Integer>> versions = new HashMap<>();
  private final Map<Integer, Schema> schemas = new HashMap<>();
  private final Map<Schema, Integer> ids = new HashMap<>();

  @Override
  public synchronized int register(String subject, Schema schema) {
    List<Integer> subjectVersions = versions.computeIfAbsent(subject, s -> new ArrayList<>());
    Integer id = ids.get(schema);
    if (id != null && subjectVersions.contains(id)) {
      return id;
    }
    if (!isCompatible(subject, schema)) {
      throw new SchemaRegistryException(
          "schema is not backward compatible with the latest version of " + subject, 409);
    }
    if (id == null) {
      id = schemas.size() + 1;
      schemas.put(id, schema);
      ids.put(schema, id);
    }
    subjectVersions.add(id);
    return id;
  }

  @Override
  public synchronized Schema schemaById(int id) {
    Schema schema = schemas.get(id);
    if (schema == null) {
      throw new SchemaRegistryException("no schema with id " + id, 404);
    }
    return schema;
  }

  @Override
  public synchronized boolean isCompatible(String subject, Schema schema) {
    List<Integer> subjectVersions = versions.get(subject);
    if (subjectVersions == null || subjectVersions.isEmpty()) {
      return true;
    }
    Schema latest = schemas.get(subjectVersions.get(subjectVersions.size() - 1));
    return SchemaCompatibility.checkReaderWriterCompatibility(schema, latest).getType()
        == SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE;
  }
}
