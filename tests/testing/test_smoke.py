def test_smoke(fake_stripe):
    assert fake_stripe.now
