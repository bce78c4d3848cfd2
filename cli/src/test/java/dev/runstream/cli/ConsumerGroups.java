package dev.runstream.cli;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;

/** What a test asks Kafka about consumer groups: how far they are, who holds which partition. */
final class ConsumerGroups {
  private ConsumerGroups() {}

  static Admin admin(String bootstrap) {
    return Admin.create(
        Map.<String, Object>of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
  }

  /**
   * Whether {@code group} has committed, on every partition of {@code topic}, the offset that
   * partition ends at now: everything Kafka holds of the topic was consumed and committed.
   */
  static boolean caughtUp(Admin admin, String group, String topic) throws Exception {
    int partitions =
        admin
            .describeTopics(List.of(topic))
            .allTopicNames()
            .get(30, TimeUnit.SECONDS)
            .get(topic)
            .partitions()
            .size();
    Map<TopicPartition, OffsetSpec> request = new HashMap<>();
    for (int p = 0; p < partitions; p++) {
      request.put(new TopicPartition(topic, p), OffsetSpec.latest());
    }
    Map<TopicPartition, Long> ends = new HashMap<>();
    admin
        .listOffsets(request)
        .all()
        .get(30, TimeUnit.SECONDS)
        .forEach((tp, info) -> ends.put(tp, info.offset()));
    Map<TopicPartition, OffsetAndMetadata> committed =
        admin
            .listConsumerGroupOffsets(group)
            .partitionsToOffsetAndMetadata()
            .get(30, TimeUnit.SECONDS);
    return ends.entrySet().stream()
        .allMatch(
            e -> {
              OffsetAndMetadata c = committed.get(e.getKey());
              return e.getValue() == 0 || (c != null && c.offset() >= e.getValue());
            });
  }

  /**
   * The partitions of {@code topic} each member of {@code group} holds, by member client id (and
   * member id, which tells two members with one client id apart); empty before any member joined.
   */
  static Map<String, Set<Integer>> assignment(Admin admin, String group, String topic)
      throws Exception {
    Map<String, Set<Integer>> out = new TreeMap<>();
    ConsumerGroupDescription description;
    try {
      description =
          admin.describeConsumerGroups(List.of(group)).all().get(30, TimeUnit.SECONDS).get(group);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof GroupIdNotFoundException) {
        return out; // no member joined yet
      }
      throw e;
    }
    for (MemberDescription member : description.members()) {
      Set<Integer> partitions = new TreeSet<>();
      member.assignment().topicPartitions().stream()
          .filter(tp -> tp.topic().equals(topic))
          .forEach(tp -> partitions.add(tp.partition()));
      out.put(member.clientId() + " (" + member.consumerId() + ")", partitions);
    }
    return out;
  }
}
