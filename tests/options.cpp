#include <catch2/catch.hpp>

#include <type_traits>

#include <typenet/options.hpp>

using namespace typenet;

static_assert(std::is_same_v<option_t<option_kind::stride, stride<1>>, stride<1>>, "the default when absent");
static_assert(std::is_same_v<option_t<option_kind::stride, stride<1>, padding<2>, stride<3, 4>>, stride<3, 4>>);
static_assert(option_t<option_kind::bias, bias<true>, bias<false>>::value == false);
static_assert(options_accepted<void(option_kind::stride, option_kind::padding), padding<1>, stride<2>>);
static_assert(!options_accepted<void(option_kind::stride), padding<1>>, "an option the layer does not take");
static_assert(!options_accepted<void(option_kind::stride), stride<1>, stride<2>>, "an option given twice");
static_assert(!options_accepted<void(option_kind::stride), int>, "something that is no option at all");
static_assert(eps<"1e-5">::value == 1e-5);
static_assert(momentum<"0.1">::value == 0.1);
static_assert(decimal_value<"-0.2"> == -0.2, "users' own float options");

template <fixed_string Slope>
struct user_layer_option {
    static constexpr double slope = decimal_value<Slope>;
};
static_assert(user_layer_option<"1e-2">::slope == 0.01, "typenet::fixed_string is usable as a template parameter");

TEST_CASE("decimal strings parse like the Python literals they copy") {
    using typenet::detail::parse_decimal;
    CHECK(parse_decimal("0.3").value == 0.3);
    CHECK(parse_decimal("1e-3").value == 1e-3);
    CHECK(parse_decimal("2.5E+2").value == 250.0);
    CHECK(parse_decimal(".5").value == 0.5);
    CHECK(parse_decimal("7").value == 7.0);
    CHECK_FALSE(parse_decimal("").valid);
    CHECK(parse_decimal("-1").value == -1.0);   // negative slopes and bounds (LeakyReLU, Hardtanh)
    CHECK(parse_decimal("+2.5e-1").value == 0.25);
    CHECK_FALSE(parse_decimal("-").valid);
    CHECK_FALSE(parse_decimal("--1").valid);
    CHECK_FALSE(parse_decimal("1e").valid);
    CHECK_FALSE(parse_decimal("0.5x").valid);
    CHECK_FALSE(parse_decimal(".").valid);
}
