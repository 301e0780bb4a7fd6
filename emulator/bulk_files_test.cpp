#include "emulator/bulk_files.h"

#include <gtest/gtest.h>
#include <zlib.h>

namespace zcrmsync::emulator {
namespace {

TEST(BulkFilesTest, Crc32KnownValue) {
  EXPECT_EQ(Crc32("123456789"), 0xCBF43926U);  // the CRC-32 check value
  EXPECT_EQ(Crc32(""), 0U);
}

TEST(BulkFilesTest, StoredZipRoundTrip) {
  std::string content = "id,Last_Name\r\n1,\"A, B\"\r\n";
  std::string zip = ZipOneFile("1.csv", content);
  EXPECT_EQ(zip.substr(0, 4), std::string("PK\x03\x04", 4));
  auto entry = UnzipFirstFile(zip);
  ASSERT_TRUE(entry.has_value()) << entry.error().ToString();
  EXPECT_EQ(entry->name, "1.csv");
  EXPECT_EQ(entry->content, content);
  zip[40] ^= 1;  // inside the data: the CRC no longer matches
  EXPECT_FALSE(UnzipFirstFile(zip).has_value());
  EXPECT_FALSE(UnzipFirstFile("not a zip at all, just some text").has_value());
}

TEST(BulkFilesTest, ReadsDeflatedEntry) {
  // Build a deflated archive by recompressing a stored one's entry.
  const std::string content(5000, 'x');
  std::string packed(compressBound(content.size()), '\0');
  z_stream z{};
  ASSERT_EQ(deflateInit2(&z, 6, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(content.data()));
  z.avail_in = static_cast<uInt>(content.size());
  z.next_out = reinterpret_cast<Bytef*>(packed.data());
  z.avail_out = static_cast<uInt>(packed.size());
  ASSERT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  packed.resize(z.total_out);
  deflateEnd(&z);
  std::string zip = ZipOneFile("a.csv", packed);  // stored layout, then patched
  auto patch = [&](size_t at, uint32_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) zip[at + i] = static_cast<char>((v >> (8 * i)) & 0xFF);
  };
  const size_t central = zip.size() - 22 - (46 + 5);
  patch(8, 8, 2);                                    // local: method deflate
  patch(14, Crc32(content), 4);                      // local: CRC of the inflated data
  patch(22, static_cast<uint32_t>(content.size()), 4);
  patch(central + 10, 8, 2);
  patch(central + 16, Crc32(content), 4);
  patch(central + 24, static_cast<uint32_t>(content.size()), 4);
  auto entry = UnzipFirstFile(zip);
  ASSERT_TRUE(entry.has_value()) << entry.error().ToString();
  EXPECT_EQ(entry->content, content);
}

TEST(BulkFilesTest, CsvQuotingRoundTrip) {
  std::string csv;
  AppendCsvRow({"a", "b,c", "say \"hi\"", "two\nlines", ""}, csv);
  AppendCsvRow({"x"}, csv);
  EXPECT_EQ(csv, "a,\"b,c\",\"say \"\"hi\"\"\",\"two\nlines\",\r\nx\r\n");
  auto rows = ParseCsv(csv);
  ASSERT_TRUE(rows.has_value());
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0], (std::vector<std::string>{"a", "b,c", "say \"hi\"", "two\nlines", ""}));
  EXPECT_EQ((*rows)[1], std::vector<std::string>{"x"});
  EXPECT_FALSE(ParseCsv("a,\"open").has_value());
  EXPECT_EQ(ParseCsv("\xEF\xBB\xBFid\nx")->at(0).at(0), "id");  // BOM, LF endings
}

}  // namespace
}  // namespace zcrmsync::emulator
