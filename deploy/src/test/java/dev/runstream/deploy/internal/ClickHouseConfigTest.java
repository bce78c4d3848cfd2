package dev.runstream.deploy.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

class ClickHouseConfigTest {

  private static Document parse(String xml) throws Exception {
    return DocumentBuilderFactory.newInstance()
        .newDocumentBuilder()
        .parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
  }

  private static String text(Document doc, String tag) {
    return doc.getElementsByTagName(tag).item(0).getTextContent();
  }

  @Test
  void configUsesYandexRootLoopbackPortsAndPathsInsideTheDirectory() throws Exception {
    Document doc = parse(ClickHouseConfig.configXml(18123, 19000, Path.of("/stack/clickhouse")));

    assertThat(doc.getDocumentElement().getTagName()).isEqualTo("yandex");
    assertThat(text(doc, "listen_host")).isEqualTo("127.0.0.1");
    assertThat(text(doc, "http_port")).isEqualTo("18123");
    assertThat(text(doc, "tcp_port")).isEqualTo("19000");
    // ClickHouse concatenates file names onto these, so the trailing slash matters.
    assertThat(text(doc, "path")).isEqualTo("/stack/clickhouse/data/");
    assertThat(text(doc, "tmp_path")).isEqualTo("/stack/clickhouse/tmp/");
    assertThat(text(doc, "user_files_path")).isEqualTo("/stack/clickhouse/user_files/");
    assertThat(text(doc, "format_schema_path")).isEqualTo("/stack/clickhouse/format_schemas/");
    assertThat(text(doc, "users_config")).isEqualTo("/stack/clickhouse/users.xml");
    assertThat(text(doc, "log")).startsWith("/stack/clickhouse/");
    assertThat(text(doc, "default_profile")).isEqualTo("default");
    assertThat(text(doc, "default_database")).isEqualTo("default");
    assertThat(doc.getElementsByTagName("interserver_http_port").getLength()).isZero();
  }

  @Test
  void pathsAreXmlEscaped() throws Exception {
    Document doc = parse(ClickHouseConfig.configXml(1, 2, Path.of("/tmp/a&b<c")));

    assertThat(text(doc, "path")).isEqualTo("/tmp/a&b<c/data/");
  }

  @Test
  void usersFileHasPasswordlessDefaultUser() throws Exception {
    Document doc = parse(ClickHouseConfig.usersXml());

    assertThat(doc.getDocumentElement().getTagName()).isEqualTo("yandex");
    Element user = (Element) doc.getElementsByTagName("users").item(0);
    Element def = (Element) user.getElementsByTagName("default").item(0);
    assertThat(def.getElementsByTagName("password").item(0).getTextContent()).isEmpty();
    assertThat(def.getElementsByTagName("profile").item(0).getTextContent()).isEqualTo("default");
    assertThat(def.getElementsByTagName("quota").item(0).getTextContent()).isEqualTo("default");
    assertThat(def.getElementsByTagName("ip").item(0).getTextContent()).isEqualTo("::/0");
  }
}
