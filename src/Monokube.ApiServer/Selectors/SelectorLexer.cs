namespace Monokube.ApiServer.Selectors;

internal enum TokenKind
{
    End,
    Identifier,
    Comma,
    Not,
    Equals,
    DoubleEquals,
    NotEquals,
    In,
    NotIn,
    OpenParen,
    CloseParen,
}

internal readonly record struct SelectorToken(TokenKind Kind, string Text);

/// <summary>The tokens of label selector strings, as apimachinery's lexer splits them.</summary>
internal sealed class SelectorLexer(string text)
{
    private int _position;
    private SelectorToken? _peeked;

    public SelectorToken Peek() => _peeked ??= Read();

    public SelectorToken Next()
    {
        if (_peeked is { } token)
        {
            _peeked = null;
            return token;
        }

        return Read();
    }

    private SelectorToken Read()
    {
        while (_position < text.Length && char.IsWhiteSpace(text[_position]))
        {
            _position++;
        }

        if (_position >= text.Length)
        {
            return new SelectorToken(TokenKind.End, "end of string");
        }

        var c = text[_position];
        switch (c)
        {
            case ',':
                _position++;
                return new SelectorToken(TokenKind.Comma, ",");
            case '(':
                _position++;
                return new SelectorToken(TokenKind.OpenParen, "(");
            case ')':
                _position++;
                return new SelectorToken(TokenKind.CloseParen, ")");
            case '!':
                if (_position + 1 < text.Length && text[_position + 1] == '=')
                {
                    _position += 2;
                    return new SelectorToken(TokenKind.NotEquals, "!=");
                }

                _position++;
                return new SelectorToken(TokenKind.Not, "!");
            case '=':
                if (_position + 1 < text.Length && text[_position + 1] == '=')
                {
                    _position += 2;
                    return new SelectorToken(TokenKind.DoubleEquals, "==");
                }

                _position++;
                return new SelectorToken(TokenKind.Equals, "=");
        }

        var start = _position;
        while (_position < text.Length && !char.IsWhiteSpace(text[_position]) && text[_position] is not (',' or '(' or ')' or '!' or '='))
        {
            _position++;
        }

        var word = text[start.._position];
        return word switch
        {
            "in" => new SelectorToken(TokenKind.In, word),
            "notin" => new SelectorToken(TokenKind.NotIn, word),
            _ => new SelectorToken(TokenKind.Identifier, word),
        };
    }
}
