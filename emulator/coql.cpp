#include "emulator/coql.h"

#include <algorithm>
#include <cctype>
#include <utility>

namespace zcrmsync::emulator {
namespace {

struct Token {
  enum class Kind { kWord, kString, kNumber, kSymbol, kEnd };
  Kind kind = Kind::kEnd;
  std::string text;
  int line = 1;
  int column = 1;
};

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

CoqlError SyntaxError(const Token& t) {
  CoqlError e{"SYNTAX_ERROR", "error occured while parsing the query", {}};
  e.details.push_back({"near", t.kind == Token::Kind::kEnd ? std::string() : t.text, 0, false});
  e.details.push_back({"line", "", t.line, true});
  e.details.push_back({"column", "", t.column, true});
  return e;
}

CoqlError LimitError(std::string by, int64_t limit) {
  CoqlError e{"LIMIT_EXCEEDED", "limit exceeded", {}};
  e.details.push_back({"by", std::move(by), 0, false});
  e.details.push_back({"limit", "", limit, true});
  return e;
}

std::expected<std::vector<Token>, CoqlError> Tokenize(std::string_view q) {
  std::vector<Token> out;
  int line = 1;
  int col = 1;
  size_t i = 0;
  auto advance = [&](size_t n) {
    for (size_t k = 0; k < n && i < q.size(); ++k, ++i) {
      if (q[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
  };
  while (i < q.size()) {
    unsigned char c = static_cast<unsigned char>(q[i]);
    if (std::isspace(c)) {
      advance(1);
      continue;
    }
    Token t;
    t.line = line;
    t.column = col;
    if (c == '\'') {
      t.kind = Token::Kind::kString;
      advance(1);
      bool closed = false;
      while (i < q.size()) {
        if (q[i] == '\\' && i + 1 < q.size()) {
          t.text += q[i + 1];
          advance(2);
        } else if (q[i] == '\'') {
          if (i + 1 < q.size() && q[i + 1] == '\'') {
            t.text += '\'';
            advance(2);
          } else {
            advance(1);
            closed = true;
            break;
          }
        } else {
          t.text += q[i];
          advance(1);
        }
      }
      if (!closed) {
        Token bad = t;
        bad.text = "'" + t.text;
        return std::unexpected(SyntaxError(bad));
      }
    } else if (std::isdigit(c) ||
               (c == '-' && i + 1 < q.size() &&
                std::isdigit(static_cast<unsigned char>(q[i + 1])))) {
      t.kind = Token::Kind::kNumber;
      size_t start = i;
      advance(1);
      while (i < q.size() && (std::isdigit(static_cast<unsigned char>(q[i])) || q[i] == '.')) {
        advance(1);
      }
      t.text = std::string(q.substr(start, i - start));
    } else if (std::isalpha(c) || c == '_' || c == '$') {
      t.kind = Token::Kind::kWord;
      size_t start = i;
      while (i < q.size() && (std::isalnum(static_cast<unsigned char>(q[i])) || q[i] == '_' ||
                              q[i] == '$' || q[i] == '.')) {
        advance(1);
      }
      t.text = std::string(q.substr(start, i - start));
    } else {
      t.kind = Token::Kind::kSymbol;
      std::string_view two = q.substr(i, 2);
      if (two == "!=" || two == "<>" || two == "<=" || two == ">=") {
        t.text = std::string(two);
        advance(2);
      } else if (std::string_view("=<>(),*").find(static_cast<char>(c)) != std::string_view::npos) {
        t.text = std::string(1, static_cast<char>(c));
        advance(1);
      } else {
        t.text = std::string(1, static_cast<char>(c));
        return std::unexpected(SyntaxError(t));
      }
    }
    out.push_back(std::move(t));
  }
  Token end;
  end.kind = Token::Kind::kEnd;
  end.line = line;
  end.column = col;
  out.push_back(end);
  return out;
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  std::expected<CoqlQuery, CoqlError> Parse() {
    CoqlQuery q;
    if (!AcceptWord("select")) return Fail();
    // Field list.
    while (true) {
      if (Peek().kind != Token::Kind::kWord || IsKeyword(Peek().text)) return Fail();
      q.fields.push_back(Next().text);
      if (!AcceptSymbol(",")) break;
    }
    if (!AcceptWord("from")) return Fail();
    if (Peek().kind != Token::Kind::kWord || IsKeyword(Peek().text)) return Fail();
    q.module = Next().text;
    if (AcceptWord("where")) {
      auto cond = ParseOr(q.criteria_count);
      if (!cond.has_value()) return std::unexpected(cond.error());
      q.where = std::move(*cond);
    }
    if (AcceptWord("order")) {
      if (!AcceptWord("by")) return Fail();
      while (true) {
        if (Peek().kind != Token::Kind::kWord || IsKeyword(Peek().text)) return Fail();
        CoqlOrder o{Next().text, true};
        if (AcceptWord("desc")) {
          o.ascending = false;
        } else {
          AcceptWord("asc");
        }
        q.order_by.push_back(std::move(o));
        if (!AcceptSymbol(",")) break;
      }
    }
    if (AcceptWord("limit")) {
      auto first = ParseCount();
      if (!first.has_value()) return std::unexpected(first.error());
      q.limit = *first;
      if (AcceptSymbol(",")) {  // limit OFFSET, N
        auto second = ParseCount();
        if (!second.has_value()) return std::unexpected(second.error());
        q.offset = *first;
        q.limit = *second;
      }
    }
    if (AcceptWord("offset")) {
      auto off = ParseCount();
      if (!off.has_value()) return std::unexpected(off.error());
      q.offset = *off;
    }
    if (Peek().kind != Token::Kind::kEnd) return Fail();
    if (q.fields.size() > 50) return std::unexpected(LimitError("select_columns", 50));
    if (q.criteria_count > 25) return std::unexpected(LimitError("where_criteria", 25));
    if (q.order_by.size() > 10) return std::unexpected(LimitError("order_by", 10));
    if (q.limit > kCoqlMaxLimit) return std::unexpected(LimitError("limit", kCoqlMaxLimit));
    if (q.limit + q.offset > kCoqlMaxRows) {
      return std::unexpected(LimitError("offset", kCoqlMaxRows));
    }
    return q;
  }

 private:
  static bool IsKeyword(const std::string& w) {
    static const char* const kWords[] = {"select", "from", "where", "order", "by", "limit",
                                         "offset", "and", "or", "not", "in", "like", "is",
                                         "null", "between", "asc", "desc"};
    std::string l = Lower(w);
    for (const char* k : kWords) {
      if (l == k) return true;
    }
    return false;
  }
  const Token& Peek(size_t ahead = 0) const {
    return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)];
  }
  const Token& Next() {
    const Token& t = tokens_[pos_];
    if (pos_ + 1 < tokens_.size()) ++pos_;
    return t;
  }
  bool PeekWord(const char* w, size_t ahead = 0) const {
    return Peek(ahead).kind == Token::Kind::kWord && Lower(Peek(ahead).text) == w;
  }
  bool AcceptWord(const char* w) {
    if (!PeekWord(w)) return false;
    Next();
    return true;
  }
  bool AcceptSymbol(const char* s) {
    if (Peek().kind != Token::Kind::kSymbol || Peek().text != s) return false;
    Next();
    return true;
  }
  std::unexpected<CoqlError> Fail() const { return std::unexpected(SyntaxError(Peek())); }

  std::expected<int64_t, CoqlError> ParseCount() {
    if (Peek().kind != Token::Kind::kNumber ||
        Peek().text.find_first_not_of("0123456789") != std::string::npos ||
        Peek().text.size() > 12) {
      return Fail();
    }
    return std::stoll(Next().text);
  }

  using CondPtr = std::unique_ptr<CoqlCondition>;

  std::expected<CondPtr, CoqlError> ParseOr(int& count) {
    auto left = ParseAnd(count);
    if (!left.has_value()) return left;
    while (AcceptWord("or")) {
      auto right = ParseAnd(count);
      if (!right.has_value()) return right;
      auto node = std::make_unique<CoqlCondition>();
      node->kind = CoqlCondition::Kind::kOr;
      node->left = std::move(*left);
      node->right = std::move(*right);
      *left = std::move(node);
    }
    return left;
  }

  std::expected<CondPtr, CoqlError> ParseAnd(int& count) {
    auto left = ParsePrimary(count);
    if (!left.has_value()) return left;
    while (AcceptWord("and")) {
      auto right = ParsePrimary(count);
      if (!right.has_value()) return right;
      auto node = std::make_unique<CoqlCondition>();
      node->kind = CoqlCondition::Kind::kAnd;
      node->left = std::move(*left);
      node->right = std::move(*right);
      *left = std::move(node);
    }
    return left;
  }

  std::expected<CoqlLiteral, CoqlError> ParseLiteral() {
    const Token& t = Peek();
    CoqlLiteral lit;
    if (t.kind == Token::Kind::kString) {
      lit.kind = CoqlLiteral::Kind::kString;
    } else if (t.kind == Token::Kind::kNumber) {
      lit.kind = CoqlLiteral::Kind::kNumber;
    } else if (PeekWord("true") || PeekWord("false")) {
      lit.kind = CoqlLiteral::Kind::kBool;
    } else if (PeekWord("null")) {
      lit.kind = CoqlLiteral::Kind::kNull;
    } else {
      return Fail();
    }
    lit.text = lit.kind == CoqlLiteral::Kind::kBool ? Lower(t.text) : t.text;
    Next();
    return lit;
  }

  std::expected<CondPtr, CoqlError> ParsePrimary(int& count) {
    if (AcceptSymbol("(")) {
      auto inner = ParseOr(count);
      if (!inner.has_value()) return inner;
      if (!AcceptSymbol(")")) return Fail();
      return inner;
    }
    if (Peek().kind != Token::Kind::kWord || IsKeyword(Peek().text)) return Fail();
    auto node = std::make_unique<CoqlCondition>();
    node->field = Next().text;
    ++count;
    bool negated = AcceptWord("not");
    if (AcceptWord("in")) {
      node->op = negated ? CoqlOp::kNotIn : CoqlOp::kIn;
      if (!AcceptSymbol("(")) return Fail();
      while (true) {
        auto lit = ParseLiteral();
        if (!lit.has_value()) return std::unexpected(lit.error());
        node->values.push_back(std::move(*lit));
        if (!AcceptSymbol(",")) break;
      }
      if (!AcceptSymbol(")")) return Fail();
      if (node->values.size() > 50) return std::unexpected(LimitError("in", 50));
      return node;
    }
    if (AcceptWord("like")) {
      node->op = negated ? CoqlOp::kNotLike : CoqlOp::kLike;
      if (Peek().kind != Token::Kind::kString) return Fail();
      auto lit = ParseLiteral();
      if (!lit.has_value()) return std::unexpected(lit.error());
      node->values.push_back(std::move(*lit));
      return node;
    }
    if (AcceptWord("between")) {
      node->op = negated ? CoqlOp::kNotBetween : CoqlOp::kBetween;
      auto lo = ParseLiteral();
      if (!lo.has_value()) return std::unexpected(lo.error());
      if (!AcceptWord("and")) return Fail();
      auto hi = ParseLiteral();
      if (!hi.has_value()) return std::unexpected(hi.error());
      node->values.push_back(std::move(*lo));
      node->values.push_back(std::move(*hi));
      return node;
    }
    if (negated) return Fail();
    if (AcceptWord("is")) {
      bool is_not = AcceptWord("not");
      if (!AcceptWord("null")) return Fail();
      node->op = is_not ? CoqlOp::kIsNotNull : CoqlOp::kIsNull;
      return node;
    }
    if (Peek().kind != Token::Kind::kSymbol) return Fail();
    const std::string op = Peek().text;
    if (op == "=") {
      node->op = CoqlOp::kEq;
    } else if (op == "!=" || op == "<>") {
      node->op = CoqlOp::kNe;
    } else if (op == "<") {
      node->op = CoqlOp::kLt;
    } else if (op == ">") {
      node->op = CoqlOp::kGt;
    } else if (op == "<=") {
      node->op = CoqlOp::kLe;
    } else if (op == ">=") {
      node->op = CoqlOp::kGe;
    } else {
      return Fail();
    }
    Next();
    auto lit = ParseLiteral();
    if (!lit.has_value()) return std::unexpected(lit.error());
    node->values.push_back(std::move(*lit));
    return node;
  }

  std::vector<Token> tokens_;
  size_t pos_ = 0;
};

}  // namespace

std::expected<CoqlQuery, CoqlError> ParseCoql(std::string_view query) {
  auto tokens = Tokenize(query);
  if (!tokens.has_value()) return std::unexpected(tokens.error());
  return Parser(std::move(*tokens)).Parse();
}

}  // namespace zcrmsync::emulator
