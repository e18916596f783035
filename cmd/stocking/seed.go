package main

import (
	"context"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/service"
)

// seedListing is one KRX listing the development database starts with. The
// prices are plausible, on the tick grid, and only a starting point: the
// simulated feed moves them.
type seedListing struct {
	code, name, nameEn string
	market             domain.Market
	price              int64
}

var seedListings = []seedListing{
	{"005930", "삼성전자", "Samsung Electronics", domain.KOSPI, 70000},
	{"000660", "SK하이닉스", "SK hynix", domain.KOSPI, 190000},
	{"373220", "LG에너지솔루션", "LG Energy Solution", domain.KOSPI, 380000},
	{"207940", "삼성바이오로직스", "Samsung Biologics", domain.KOSPI, 950000},
	{"005380", "현대차", "Hyundai Motor", domain.KOSPI, 215000},
	{"000270", "기아", "Kia", domain.KOSPI, 98000},
	{"068270", "셀트리온", "Celltrion", domain.KOSPI, 182000},
	{"035420", "NAVER", "NAVER", domain.KOSPI, 195000},
	{"035720", "카카오", "Kakao", domain.KOSPI, 41000},
	{"005490", "POSCO홀딩스", "POSCO Holdings", domain.KOSPI, 320000},
	{"051910", "LG화학", "LG Chem", domain.KOSPI, 310000},
	{"006400", "삼성SDI", "Samsung SDI", domain.KOSPI, 280000},
	{"105560", "KB금융", "KB Financial Group", domain.KOSPI, 82000},
	{"055550", "신한지주", "Shinhan Financial Group", domain.KOSPI, 51000},
	{"012330", "현대모비스", "Hyundai Mobis", domain.KOSPI, 245000},
	{"028260", "삼성물산", "Samsung C&T", domain.KOSPI, 140000},
	{"066570", "LG전자", "LG Electronics", domain.KOSPI, 95000},
	{"003550", "LG", "LG Corp", domain.KOSPI, 75000},
	{"017670", "SK텔레콤", "SK Telecom", domain.KOSPI, 53000},
	{"030200", "KT", "KT Corp", domain.KOSPI, 41500},
	{"034730", "SK", "SK Inc", domain.KOSPI, 150000},
	{"015760", "한국전력", "KEPCO", domain.KOSPI, 21000},
	{"032830", "삼성생명", "Samsung Life Insurance", domain.KOSPI, 85000},
	{"086790", "하나금융지주", "Hana Financial Group", domain.KOSPI, 60000},
	{"010130", "고려아연", "Korea Zinc", domain.KOSPI, 800000},
	{"009150", "삼성전기", "Samsung Electro-Mechanics", domain.KOSPI, 130000},
	{"011200", "HMM", "HMM", domain.KOSPI, 19000},
	{"247540", "에코프로비엠", "EcoPro BM", domain.KOSDAQ, 170000},
	{"086520", "에코프로", "EcoPro", domain.KOSDAQ, 90000},
	{"196170", "알테오젠", "Alteogen", domain.KOSDAQ, 330000},
	{"028300", "HLB", "HLB", domain.KOSDAQ, 75000},
	{"293490", "카카오게임즈", "Kakao Games", domain.KOSDAQ, 17500},
	{"263750", "펄어비스", "Pearl Abyss", domain.KOSDAQ, 38000},
}

// seed adds the listings that are missing, leaving existing ones (and
// their prices) alone, and reports how many it added.
func seed(ctx context.Context, svc *service.Service) (int, error) {
	existing, err := svc.Market.List(ctx, "", "")
	if err != nil {
		return 0, err
	}
	have := map[string]bool{}
	for _, st := range existing {
		have[st.Code] = true
	}
	added := 0
	for _, l := range seedListings {
		if have[l.code] {
			continue
		}
		added++
		p := decimal.NewNullDecimal(decimal.NewFromInt(l.price))
		if _, err := svc.Market.Upsert(ctx, service.StockInput{
			Code: l.code, Name: l.name, NameEn: l.nameEn, Market: string(l.market), Price: p, PrevClose: p,
		}); err != nil {
			return 0, err
		}
	}
	return added, nil
}
