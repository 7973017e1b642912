#include "ops/prometheus.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <thread>
#include <vector>

namespace openeci::ops {
namespace {

TEST(PrometheusFormatTest, ValuesAreWrittenAsPrometheusParsesThem) {
  EXPECT_EQ(FormatValue(0), "0");
  EXPECT_EQ(FormatValue(3), "3");
  EXPECT_EQ(FormatValue(-2.5), "-2.5");
  EXPECT_EQ(FormatValue(0.005), "0.005");
  EXPECT_EQ(FormatValue(1234567), "1234567");
  EXPECT_EQ(FormatValue(1e21), "1e+21");
  EXPECT_EQ(FormatValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatValue(std::nan("")), "NaN");
}

TEST(PrometheusFormatTest, LabelValuesEscapeBackslashQuoteAndNewline) {
  EXPECT_EQ(EscapeLabelValue(R"(a\b"c)"
                             "\n"
                             "d"),
            R"(a\\b\"c\nd)");
  EXPECT_EQ(EscapeLabelValue("plain {},= ü"), "plain {},= ü");
}

TEST(PrometheusFormatTest, HelpEscapesBackslashAndNewlineButNotQuotes) {
  EXPECT_EQ(EscapeHelp("a \"b\" \\ c\nd"), "a \"b\" \\\\ c\\nd");
}

TEST(MetricRegistryTest, CountersRenderHelpTypeAndSortedSeries) {
  MetricRegistry registry;
  CounterFamily& c =
      registry.AddCounter("app_requests_total", "Requests served.", {"action", "code"});
  c.Add({"Run", "200"});
  c.Add({"Run", "200"}, 2);
  c.Add({"Describe", "400"});
  c.Add({"Run", "200"}, -5);  // ignored: counters never go down
  EXPECT_EQ(registry.Render(),
            "# HELP app_requests_total Requests served.\n"
            "# TYPE app_requests_total counter\n"
            "app_requests_total{action=\"Describe\",code=\"400\"} 1\n"
            "app_requests_total{action=\"Run\",code=\"200\"} 3\n");
  EXPECT_EQ(c.Value({"Run", "200"}), 3);
  EXPECT_EQ(c.Value({"Run", "500"}), 0);
}

TEST(MetricRegistryTest, LabelValuesAreEscapedInSeries) {
  MetricRegistry registry;
  registry.AddGauge("g", "Help with \\ and\nnewline.", {"path"}).Set({"C:\\x \"y\"\nz"}, 1.5);
  EXPECT_EQ(registry.Render(),
            "# HELP g Help with \\\\ and\\nnewline.\n"
            "# TYPE g gauge\n"
            "g{path=\"C:\\\\x \\\"y\\\"\\nz\"} 1.5\n");
}

TEST(MetricRegistryTest, UnlabelledFamiliesHaveNoBraces) {
  MetricRegistry registry;
  GaugeFamily& g = registry.AddGauge("up", "Up.");
  g.Set({}, 1);
  g.Set({}, 0);
  EXPECT_EQ(registry.Render(), "# HELP up Up.\n# TYPE up gauge\nup 0\n");
}

TEST(MetricRegistryTest, FamiliesWithoutSeriesStillHaveHelpAndType) {
  MetricRegistry registry;
  registry.AddCounter("none_total", "Nothing yet.", {"x"});
  EXPECT_EQ(registry.Render(), "# HELP none_total Nothing yet.\n# TYPE none_total counter\n");
}

TEST(MetricRegistryTest, HistogramsRenderCumulativeBucketsInfSumAndCount) {
  MetricRegistry registry;
  HistogramFamily& h =
      registry.AddHistogram("rpc_seconds", "RPC latency.", {"action"}, {0.1, 0.5, 1});
  h.Observe({"Run"}, 0.05);
  h.Observe({"Run"}, 0.1);  // on a bound: counts in that bucket (le is <=)
  h.Observe({"Run"}, 0.7);
  h.Observe({"Run"}, 30);  // above every bound: +Inf only
  h.Observe({"Ls"}, 0.2);
  EXPECT_EQ(registry.Render(),
            "# HELP rpc_seconds RPC latency.\n"
            "# TYPE rpc_seconds histogram\n"
            "rpc_seconds_bucket{action=\"Ls\",le=\"0.1\"} 0\n"
            "rpc_seconds_bucket{action=\"Ls\",le=\"0.5\"} 1\n"
            "rpc_seconds_bucket{action=\"Ls\",le=\"1\"} 1\n"
            "rpc_seconds_bucket{action=\"Ls\",le=\"+Inf\"} 1\n"
            "rpc_seconds_sum{action=\"Ls\"} 0.2\n"
            "rpc_seconds_count{action=\"Ls\"} 1\n"
            "rpc_seconds_bucket{action=\"Run\",le=\"0.1\"} 2\n"
            "rpc_seconds_bucket{action=\"Run\",le=\"0.5\"} 2\n"
            "rpc_seconds_bucket{action=\"Run\",le=\"1\"} 3\n"
            "rpc_seconds_bucket{action=\"Run\",le=\"+Inf\"} 4\n"
            "rpc_seconds_sum{action=\"Run\"} 30.85\n"
            "rpc_seconds_count{action=\"Run\"} 4\n");
  EXPECT_EQ(h.Count({"Run"}), 4u);
  EXPECT_DOUBLE_EQ(h.Sum({"Run"}), 30.85);
}

TEST(MetricRegistryTest, UnlabelledHistogramsHaveOnlyTheLeLabel) {
  MetricRegistry registry;
  registry.AddHistogram("h", "H.", {}, {1}).Observe({}, 2);
  EXPECT_EQ(registry.Render(),
            "# HELP h H.\n# TYPE h histogram\n"
            "h_bucket{le=\"1\"} 0\nh_bucket{le=\"+Inf\"} 1\nh_sum 2\nh_count 1\n");
}

TEST(MetricRegistryTest, CallbackFamiliesAreComputedAtEveryRenderInLabelOrder) {
  MetricRegistry registry;
  int scrapes = 0;
  registry.AddCallback("groups", "Groups by status.", "gauge", {"status"}, [&scrapes] {
    ++scrapes;
    return std::vector<Sample>{{{"Running"}, 2.0 * scrapes}, {{"Pending"}, 1}};
  });
  EXPECT_EQ(registry.Render(),
            "# HELP groups Groups by status.\n# TYPE groups gauge\n"
            "groups{status=\"Pending\"} 1\ngroups{status=\"Running\"} 2\n");
  EXPECT_NE(registry.Render().find("groups{status=\"Running\"} 4\n"), std::string::npos);
}

TEST(MetricRegistryTest, FamiliesRenderInTheOrderTheyWereAdded) {
  MetricRegistry registry;
  registry.AddGauge("zeta", "Z.").Set({}, 1);
  registry.AddGauge("alpha", "A.").Set({}, 2);
  std::string text = registry.Render();
  EXPECT_LT(text.find("zeta 1"), text.find("alpha 2"));
}

TEST(MetricRegistryTest, ConcurrentUpdatesAreAllCounted) {
  MetricRegistry registry;
  CounterFamily& c = registry.AddCounter("n_total", "N.", {"t"});
  HistogramFamily& h = registry.AddHistogram("d", "D.", {"t"}, {1});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        c.Add({"x"});
        h.Observe({"x"}, 0.5);
        if (i % 1000 == 0) registry.Render();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.Value({"x"}), 40000);
  EXPECT_EQ(h.Count({"x"}), 40000u);
}

using MetricRegistryDeathTest = ::testing::Test;

TEST(MetricRegistryDeathTest, BadNamesAndWrongArityAreBugs) {
  EXPECT_DEATH(MetricRegistry().AddGauge("1bad", "x"), "invalid metric name");
  EXPECT_DEATH(MetricRegistry().AddGauge("ok", "x", {"le-x"}), "invalid label name");
  EXPECT_DEATH(MetricRegistry().AddHistogram("h", "x", {"le"}, {1}), "invalid label name");
  EXPECT_DEATH(MetricRegistry().AddGauge("ok", "x", {"a", "a"}), "duplicate label name");
  EXPECT_DEATH(MetricRegistry().AddHistogram("h", "x", {}, {2, 1}), "strictly increasing");
  EXPECT_DEATH(
      {
        MetricRegistry r;
        r.AddGauge("same", "x");
        r.AddCounter("same", "y");
      },
      "duplicate metric family");
  EXPECT_DEATH(MetricRegistry().AddCounter("c_total", "x", {"a"}).Add({"1", "2"}),
               "2 label values for 1 labels");
}

}  // namespace
}  // namespace openeci::ops
